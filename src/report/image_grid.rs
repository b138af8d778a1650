//! What an image link delivered, as pictures: the first image of the tile set as each point
//! received it (`received/<scheme>@<snr>dB.png`, written as the point finishes, and
//! `received/sent.png`), and `grid.png`, one row per scheme and one column per chosen SNR beside the
//! image sent. Cells are composed from the files in `received/`, so a resumed run or a merge draws
//! the grid of every point whatever invocation ran it. Areas of the image the tile set did not
//! send are mid-grey.

use std::path::{Path, PathBuf};

use anyhow::Context;
use plotters::prelude::*;
use source::image::io::{decode_png, encode_png, Image, PngEffort};

use super::write_atomic;

const RECEIVED: &str = "received";
/// The grid's file name in the results folder.
pub const GRID_FILE: &str = "grid.png";
/// Pixels between cells, above the cells (column labels) and left of them (row labels).
const GUTTER: usize = 8;
const HEADER: usize = 34;
const LABEL_WIDTH: usize = 260;

/// `received/<scheme>@<snr>dB.png` of `dir`.
pub fn received_path(dir: &Path, scheme: &str, snr_db: f64) -> PathBuf {
    dir.join(RECEIVED).join(format!("{scheme}@{snr_db}dB.png"))
}

fn write_png(path: &Path, image: &Image) -> anyhow::Result<()> {
    let parent = path.parent().expect("a file in a folder");
    std::fs::create_dir_all(parent).with_context(|| format!("{}: cannot create", parent.display()))?;
    let png = encode_png(image, PngEffort::Default).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    write_atomic(path, &png)
}

/// Records what `scheme` delivered at `snr_db`.
pub fn write_received(dir: &Path, scheme: &str, snr_db: f64, image: &Image) -> anyhow::Result<()> {
    write_png(&received_path(dir, scheme, snr_db), image)
}

/// Records the image sent.
pub fn write_sent(dir: &Path, image: &Image) -> anyhow::Result<()> {
    write_png(&dir.join(RECEIVED).join("sent.png"), image)
}

/// Three SNRs of `values` for the grid: the lowest, the middle and the highest (fewer if there are
/// fewer points).
pub fn grid_snrs(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mut picked = match v.len() {
        0..=3 => v.clone(),
        n => vec![v[0], v[n / 2], v[n - 1]],
    };
    picked.dedup();
    picked
}

/// Writes `grid.png` from `received/`: the image sent, then each of `schemes` at each of `snrs`
/// (a missing cell stays white). Nothing is written when `received/sent.png` is missing.
pub fn write_grid(dir: &Path, schemes: &[&str], snrs: &[f64]) -> anyhow::Result<Option<PathBuf>> {
    let load = |p: &Path| -> Option<Image> { decode_png(&std::fs::read(p).ok()?).ok() };
    let Some(sent) = load(&dir.join(RECEIVED).join("sent.png")) else { return Ok(None) };
    let (cw, chh) = (sent.width as usize, sent.height as usize);
    let width = LABEL_WIDTH + (snrs.len() + 1) * (cw + GUTTER);
    let height = HEADER + schemes.len().max(1) * (chh + GUTTER);
    let mut buffer = vec![255u8; width * height * 3];
    let mut blit = |image: &Image, col: usize, row: usize| {
        if (image.width as usize, image.height as usize, image.channels) != (cw, chh, 3) {
            return;
        }
        let (x0, y0) = (LABEL_WIDTH + col * (cw + GUTTER), HEADER + row * (chh + GUTTER));
        for y in 0..chh {
            let at = ((y0 + y) * width + x0) * 3;
            buffer[at..at + cw * 3].copy_from_slice(&image.pixels[y * cw * 3..(y + 1) * cw * 3]);
        }
    };
    blit(&sent, 0, 0);
    for (row, scheme) in schemes.iter().enumerate() {
        for (col, &snr) in snrs.iter().enumerate() {
            if let Some(image) = load(&received_path(dir, scheme, snr)) {
                blit(&image, col + 1, row);
            }
        }
    }
    {
        super::plot::register_font();
        let root = BitMapBackend::with_buffer(&mut buffer, (width as u32, height as u32)).into_drawing_area();
        let style = ("sans-serif", 18).into_font().color(&BLACK);
        let text = |s: &str, x: usize, y: usize| root.draw(&Text::new(s.to_string(), (x as i32, y as i32), &style));
        text("sent", LABEL_WIDTH, 8)?;
        for (col, snr) in snrs.iter().enumerate() {
            text(&format!("Es/N0 {snr} dB"), LABEL_WIDTH + (col + 1) * (cw + GUTTER), 8)?;
        }
        for (row, scheme) in schemes.iter().enumerate() {
            let y = HEADER + row * (chh + GUTTER) + chh / 2;
            // Long names are cut to what fits beside the cells.
            let name: String = scheme.chars().take(24).collect();
            text(&name, 6, y)?;
        }
        root.present()?;
    }
    let grid = Image { width: width as u32, height: height as u32, channels: 3, pixels: buffer };
    let path = dir.join(GRID_FILE);
    write_png(&path, &grid)?;
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_snrs_pick_the_ends_and_the_middle() {
        assert_eq!(grid_snrs(&[4.0, 0.0, 2.0, 6.0, 8.0]), vec![0.0, 4.0, 8.0]);
        assert_eq!(grid_snrs(&[1.0, 0.0]), vec![0.0, 1.0]);
    }

    #[test]
    fn the_grid_places_each_cell_and_leaves_missing_ones_white() {
        let dir = tempfile::tempdir().unwrap();
        let image = |v: u8| Image { width: 8, height: 6, channels: 3, pixels: vec![v; 8 * 6 * 3] };
        assert_eq!(write_grid(dir.path(), &["a"], &[0.0]).unwrap(), None, "no sent image, no grid");
        write_sent(dir.path(), &image(10)).unwrap();
        write_received(dir.path(), "a", 0.0, &image(20)).unwrap();
        write_received(dir.path(), "b", 3.0, &image(30)).unwrap();
        let path = write_grid(dir.path(), &["a", "b"], &[0.0, 3.0]).unwrap().unwrap();
        let grid = decode_png(&std::fs::read(path).unwrap()).unwrap();
        let at = |col: usize, row: usize| {
            let (x, y) = (LABEL_WIDTH + col * (8 + GUTTER) + 4, HEADER + row * (6 + GUTTER) + 3);
            grid.pixels[(y * grid.width as usize + x) * 3]
        };
        assert_eq!([at(0, 0), at(1, 0), at(2, 1), at(2, 0), at(1, 1)], [10, 20, 30, 255, 255]);
    }
}
