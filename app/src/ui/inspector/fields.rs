//! The profile's decoded fields as a live table; a check box per numeric
//! field picks the one plotted.

use bridgekeeper_profiles::{Layout, Value};

/// A field's value as a number to plot: booleans as 0/1, the first element
/// of an array; `None` for text.
pub fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Int(v) => Some(*v as f64),
        Value::UInt(v) => Some(*v as f64),
        Value::Float(v) => Some(*v),
        Value::Text(_) => None,
        Value::Array(items) => items.first().and_then(as_number),
    }
}

/// Draws the fields of `layout` decoded from `data`; `plotted` is the name
/// of the field plotted, changed by the check boxes. Returns the offset of
/// a field whose "go" button was clicked.
pub fn ui(
    ui: &mut egui::Ui,
    layout: &Layout,
    data: &[u8],
    plotted: &mut Option<String>,
) -> Option<usize> {
    let mut go = None;
    ui.label(format!("Layout {} ({})", layout.id, layout.source));
    egui::Grid::new("decoded fields")
        .num_columns(5)
        .striped(true)
        .show(ui, |ui| {
            ui.strong("Field");
            ui.strong("Offset");
            ui.strong("Type");
            ui.strong("Value");
            ui.strong("Plot");
            ui.end_row();
            for (field, value) in layout.decode(data) {
                ui.label(&field.name).on_hover_text(&field.note);
                if ui
                    .link(format!("0x{:x}", field.offset))
                    .on_hover_text("show in the hexdump")
                    .clicked()
                {
                    go = Some(field.offset);
                }
                ui.monospace(field.ty.to_string());
                let shown = match &value {
                    Some(v) if field.unit.is_empty() => v.to_string(),
                    Some(v) => format!("{v} {}", field.unit),
                    None => "past the end of the page".into(),
                };
                ui.monospace(shown);
                if value.as_ref().and_then(as_number).is_some() {
                    let mut on = plotted.as_deref() == Some(field.name.as_str());
                    if ui
                        .checkbox(&mut on, format!("plot {}", field.name))
                        .on_hover_text("plot over time")
                        .changed()
                    {
                        *plotted = on.then(|| field.name.clone());
                    }
                } else {
                    ui.label("");
                }
                ui.end_row();
            }
        });
    go
}
