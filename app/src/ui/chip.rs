//! The state chip on a game's card: the tray icon's shape and colour for
//! that state, drawn with egui's painter, and the state in words.
//!
//! The shapes are those of `assets/icons/tray/*.svg` (a 32-unit square):
//! a grey ring crossed by a bar when idle, blue with a centre dot when
//! watching, a green disc with one white bar when bridged with zero copy, an
//! orange disc with a broken bar in copy mode, a red disc with an
//! exclamation mark for a problem. A test reads the SVG files and checks
//! that [`parts`] draws the same shapes in the same colours, so the window
//! and the tray cannot drift apart.

use egui::{Color32, CornerRadius, Pos2, Rect, Role, Sense, Stroke, TextStyle, Vec2, WidgetText};

use crate::look::TrayLook;

/// Grey of the idle icon.
pub const GREY: Color32 = Color32::from_rgb(0x80, 0x80, 0x80);
/// Blue of the watching icon.
pub const BLUE: Color32 = Color32::from_rgb(0x3c, 0x82, 0xdc);
/// Green of the zero-copy icon.
pub const GREEN: Color32 = Color32::from_rgb(0x28, 0xb4, 0x46);
/// Orange of the copy-mode icon.
pub const ORANGE: Color32 = Color32::from_rgb(0xe6, 0xa0, 0x14);
/// Red of the problem icon.
pub const RED: Color32 = Color32::from_rgb(0xdc, 0x32, 0x32);

/// One shape of an icon, in the SVG's 32-unit square.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Part {
    /// A circle outline: centre, radius, stroke width.
    Ring {
        /// Centre.
        c: [f32; 2],
        /// Radius.
        r: f32,
        /// Stroke width.
        width: f32,
    },
    /// A filled circle.
    Disc {
        /// Centre.
        c: [f32; 2],
        /// Radius.
        r: f32,
    },
    /// A filled rounded rectangle: corner, size, corner radius.
    Bar {
        /// Top-left corner.
        at: [f32; 2],
        /// Width and height.
        size: [f32; 2],
        /// Corner radius.
        rx: f32,
    },
}

/// The shapes of `look`'s icon with their colours, back to front.
pub fn parts(look: TrayLook) -> Vec<(Part, Color32)> {
    let ring = Part::Ring {
        c: [16.0, 16.0],
        r: 13.0,
        width: 4.0,
    };
    let thin_bar = Part::Bar {
        at: [3.0, 14.0],
        size: [26.0, 4.0],
        rx: 1.0,
    };
    let disc = Part::Disc {
        c: [16.0, 16.0],
        r: 15.0,
    };
    match look {
        TrayLook::Idle => vec![(ring, GREY), (thin_bar, GREY)],
        TrayLook::Watching => vec![
            (ring, BLUE),
            (thin_bar, BLUE),
            (
                Part::Disc {
                    c: [16.0, 16.0],
                    r: 4.5,
                },
                BLUE,
            ),
        ],
        TrayLook::BridgedZeroCopy => vec![
            (disc, GREEN),
            (
                Part::Bar {
                    at: [4.0, 13.5],
                    size: [24.0, 5.0],
                    rx: 1.5,
                },
                Color32::WHITE,
            ),
        ],
        TrayLook::BridgedCopy => vec![
            (disc, ORANGE),
            (
                Part::Bar {
                    at: [4.0, 13.5],
                    size: [10.0, 5.0],
                    rx: 1.5,
                },
                Color32::WHITE,
            ),
            (
                Part::Bar {
                    at: [18.0, 13.5],
                    size: [10.0, 5.0],
                    rx: 1.5,
                },
                Color32::WHITE,
            ),
        ],
        TrayLook::Problem => vec![
            (disc, RED),
            (
                Part::Bar {
                    at: [13.5, 6.0],
                    size: [5.0, 13.0],
                    rx: 2.0,
                },
                Color32::WHITE,
            ),
            (
                Part::Disc {
                    c: [16.0, 24.0],
                    r: 2.8,
                },
                Color32::WHITE,
            ),
        ],
    }
}

/// Paints `look`'s icon into `rect` (a square).
pub fn paint_icon(painter: &egui::Painter, rect: Rect, look: TrayLook) {
    let scale = rect.width().min(rect.height()) / 32.0;
    let at = |p: [f32; 2]| rect.min + Vec2::new(p[0], p[1]) * scale;
    for (part, colour) in parts(look) {
        match part {
            Part::Ring { c, r, width } => {
                painter.circle_stroke(at(c), r * scale, Stroke::new(width * scale, colour));
            }
            Part::Disc { c, r } => {
                painter.circle_filled(at(c), r * scale, colour);
            }
            Part::Bar {
                at: corner,
                size,
                rx,
            } => {
                let min: Pos2 = at(corner);
                let bar = Rect::from_min_size(min, Vec2::new(size[0], size[1]) * scale);
                let radius = CornerRadius::same((rx * scale).round().clamp(0.0, 255.0) as u8);
                painter.rect_filled(bar, radius, colour);
            }
        }
    }
}

/// The chip: `look`'s icon and `words`, read by a screen reader as
/// `label` (the game's name and its state).
pub fn chip(ui: &mut egui::Ui, look: TrayLook, words: &str, label: &str) -> egui::Response {
    let icon = ui.text_style_height(&TextStyle::Body) + 2.0;
    let galley = WidgetText::from(words).into_galley(
        ui,
        Some(egui::TextWrapMode::Extend),
        f32::INFINITY,
        TextStyle::Body,
    );
    let gap = ui.spacing().item_spacing.x * 0.75;
    let size = Vec2::new(icon + gap + galley.size().x, icon.max(galley.size().y));
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    if ui.is_rect_visible(rect) {
        let icon_rect = Rect::from_min_size(
            Pos2::new(rect.left(), rect.center().y - icon / 2.0),
            Vec2::splat(icon),
        );
        paint_icon(ui.painter(), icon_rect, look);
        let text_at = Pos2::new(
            icon_rect.right() + gap,
            rect.center().y - galley.size().y / 2.0,
        );
        ui.painter()
            .galley(text_at, galley, ui.visuals().text_color());
    }
    super::a11y::labelled(
        response.on_hover_text(look_meaning(look)),
        Role::Status,
        label,
    )
}

/// What the chip's look means, for its tooltip.
pub fn look_meaning(look: TrayLook) -> &'static str {
    match look {
        TrayLook::Idle => "Not bridged",
        TrayLook::Watching => "Waiting for the game: auto-attach bridges it when it starts",
        TrayLook::BridgedZeroCopy => "Bridged: every mapping is shared with zero copy",
        TrayLook::BridgedCopy => "Bridged: some mappings are copied (the game created them first)",
        TrayLook::Problem => "Needs attention: the last attach was refused",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shapes of an SVG file in the order written: circles and rects
    /// with their attributes.
    fn svg_parts(svg: &str) -> Vec<(Part, Color32)> {
        let attr = |tag: &str, name: &str| -> Option<String> {
            let key = format!(" {name}=\"");
            let start = tag.find(&key)? + key.len();
            Some(tag[start..].split('"').next()?.to_string())
        };
        let num =
            |tag: &str, name: &str| -> f32 { attr(tag, name).map_or(0.0, |v| v.parse().unwrap()) };
        let colour = |hex: &str| {
            let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap();
            Color32::from_rgb((v >> 16) as u8, (v >> 8) as u8, v as u8)
        };
        let mut out = Vec::new();
        for tag in svg.split('<').skip(1) {
            if tag.starts_with("circle") {
                let c = [num(tag, "cx"), num(tag, "cy")];
                let r = num(tag, "r");
                match attr(tag, "fill").as_deref() {
                    Some("none") => out.push((
                        Part::Ring {
                            c,
                            r,
                            width: num(tag, "stroke-width"),
                        },
                        colour(&attr(tag, "stroke").unwrap()),
                    )),
                    Some(fill) => out.push((Part::Disc { c, r }, colour(fill))),
                    None => panic!("circle without fill: {tag}"),
                }
            } else if tag.starts_with("rect") {
                out.push((
                    Part::Bar {
                        at: [num(tag, "x"), num(tag, "y")],
                        size: [num(tag, "width"), num(tag, "height")],
                        rx: num(tag, "rx"),
                    },
                    colour(&attr(tag, "fill").unwrap()),
                ));
            }
        }
        out
    }

    #[test]
    fn chips_draw_the_tray_icons_shapes_in_their_colours() {
        let svgs = [
            (
                TrayLook::Idle,
                include_str!("../../../assets/icons/tray/idle.svg"),
            ),
            (
                TrayLook::Watching,
                include_str!("../../../assets/icons/tray/watching.svg"),
            ),
            (
                TrayLook::BridgedZeroCopy,
                include_str!("../../../assets/icons/tray/zero-copy.svg"),
            ),
            (
                TrayLook::BridgedCopy,
                include_str!("../../../assets/icons/tray/copy.svg"),
            ),
            (
                TrayLook::Problem,
                include_str!("../../../assets/icons/tray/problem.svg"),
            ),
        ];
        for (look, svg) in svgs {
            assert_eq!(parts(look), svg_parts(svg), "{look:?}");
        }
    }
}
