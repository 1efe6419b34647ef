//! The selected offset read as every integer and float type.

use bridgekeeper_shm::values::readings;

/// Shows the readings of `data` at `offset`.
pub fn ui(ui: &mut egui::Ui, data: &[u8], offset: Option<usize>) {
    let Some(offset) = offset else {
        ui.label("Click a byte to read it as every integer and float type.");
        return;
    };
    ui.label(format!("At 0x{offset:08x} ({offset}), little-endian:"));
    egui::Grid::new("values at offset")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for r in readings(data, offset) {
                ui.monospace(r.ty);
                ui.monospace(r.value.unwrap_or_else(|| "past the end".into()));
                ui.end_row();
            }
        });
}
