//! The text a frame painted, for checks on screenshots.
//!
//! Failure mode: a screenshot that shows a test name or a temporary path
//! (the AppStream screenshots are what reviewers and users judge the app
//! by) is only noticed by someone looking at the picture. So when the app
//! takes a screenshot it can also write out every text it painted in that
//! frame, and the screenshot test checks it for forbidden strings.

/// Every text painted on the window's background layer (panels, not
/// tooltips) in the current frame, one galley a line, in paint order.
pub fn painted_text(ctx: &egui::Context) -> String {
    fn collect(shape: &egui::Shape, out: &mut String) {
        match shape {
            egui::Shape::Text(text) => {
                out.push_str(text.galley.text());
                out.push('\n');
            }
            egui::Shape::Vec(shapes) => {
                for shape in shapes {
                    collect(shape, out);
                }
            }
            _ => {}
        }
    }
    let mut out = String::new();
    ctx.graphics(|layers| {
        if let Some(list) = layers.get(egui::LayerId::background()) {
            for clipped in list.all_entries() {
                collect(&clipped.shape, &mut out);
            }
        }
    });
    out
}
