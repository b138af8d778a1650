//! What an image link delivered, as pictures: the first image of the tile set as each point
//! received it (`received/<scheme>@<snr>dB.png`, written as the point finishes, and
//! `received/sent.png`), and `grid.png`, one row per scheme and one column per chosen SNR beside the
//! image sent. Cells are composed from the files in `received/`, so a resumed run or a merge draws
//! the grid of every point whatever invocation ran it. Areas of the image the tile set did not
//! send are mid-grey.
//!
//! `grid.png` records its layout (cell size, schemes, SNRs) in an iTXt chunk. A cell whose file is
//! missing from `received/` is taken from the previous grid when that grid holds it for the same
//! image sent, so redrawing never loses a cell: a folder kept without `received/` (the committed
//! references, whose pictures are ~0.3 MB each) and resumed for a few rows still shows every point.

use std::path::{Path, PathBuf};

use anyhow::Context;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};
use source::image::io::{decode_png, encode_png, Image, PngEffort};

use super::write_atomic;

const RECEIVED: &str = "received";
/// The grid's file name in the results folder.
pub const GRID_FILE: &str = "grid.png";
/// Pixels between cells, above the cells (column labels) and left of them (row labels).
const GUTTER: usize = 8;
const HEADER: usize = 34;
const LABEL_WIDTH: usize = 260;
/// The iTXt keyword of the layout record in `grid.png`.
const LAYOUT_KEYWORD: &str = "lmsscc-grid-layout";

/// Where the cells of a grid are: the cell size, one row per scheme, one column per SNR after the
/// image sent's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct GridLayout {
    cell_width: usize,
    cell_height: usize,
    schemes: Vec<String>,
    snrs: Vec<f64>,
}

impl GridLayout {
    fn width(&self) -> usize {
        LABEL_WIDTH + (self.snrs.len() + 1) * (self.cell_width + GUTTER)
    }

    fn height(&self) -> usize {
        HEADER + self.schemes.len().max(1) * (self.cell_height + GUTTER)
    }

    /// The top-left pixel of the cell in column `col` (0: the image sent) and row `row`.
    fn origin(&self, col: usize, row: usize) -> (usize, usize) {
        (LABEL_WIDTH + col * (self.cell_width + GUTTER), HEADER + row * (self.cell_height + GUTTER))
    }

    /// The cell at `col`, `row` of `grid`, a picture drawn with this layout.
    fn cell(&self, grid: &Image, col: usize, row: usize) -> Image {
        let (x0, y0) = self.origin(col, row);
        grid.crop(x0 as u32, y0 as u32, self.cell_width as u32, self.cell_height as u32)
    }

    /// The cell of `scheme` at `snr_db`, if this layout has one.
    fn find(&self, scheme: &str, snr_db: f64) -> Option<(usize, usize)> {
        let row = self.schemes.iter().position(|s| s == scheme)?;
        let col = self.snrs.iter().position(|&s| s == snr_db)?;
        Some((col + 1, row))
    }
}

/// The grid at `path` and its layout, if it is a readable grid that recorded one.
fn read_grid(path: &Path) -> Option<(Image, GridLayout)> {
    let data = std::fs::read(path).ok()?;
    let reader = png::Decoder::new(data.as_slice()).read_info().ok()?;
    let text = reader.info().utf8_text.iter().find(|t| t.keyword == LAYOUT_KEYWORD)?.get_text().ok()?;
    let layout: GridLayout = serde_json::from_str(&text).ok()?;
    let image = decode_png(&data).ok()?;
    let fits = (image.width as usize, image.height as usize, image.channels) == (layout.width(), layout.height(), 3);
    fits.then_some((image, layout))
}

/// `grid` as PNG bytes with `layout` recorded beside its pixels.
fn encode_grid(grid: &Image, layout: &GridLayout) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, grid.width, grid.height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.add_itxt_chunk(LAYOUT_KEYWORD.to_string(), serde_json::to_string(layout)?)?;
    encoder.write_header()?.write_image_data(&grid.pixels)?;
    Ok(out)
}

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

/// Writes `grid.png` from `received/`: the image sent, then each of `schemes` at each of `snrs`.
/// A cell missing from `received/` is taken from the previous `grid.png` when it holds that cell
/// for the same image sent; otherwise it stays white. Nothing is written when `received/sent.png`
/// is missing.
pub fn write_grid(dir: &Path, schemes: &[&str], snrs: &[f64]) -> anyhow::Result<Option<PathBuf>> {
    let load = |p: &Path| -> Option<Image> { decode_png(&std::fs::read(p).ok()?).ok() };
    let Some(sent) = load(&dir.join(RECEIVED).join("sent.png")) else { return Ok(None) };
    let layout = GridLayout {
        cell_width: sent.width as usize,
        cell_height: sent.height as usize,
        schemes: schemes.iter().map(|s| s.to_string()).collect(),
        snrs: snrs.to_vec(),
    };
    let path = dir.join(GRID_FILE);
    // The previous grid's cells are of this image only if its sent cell is this one (which also
    // makes its cells this size).
    let previous = read_grid(&path).filter(|(grid, old)| old.cell(grid, 0, 0) == sent);
    let (width, height) = (layout.width(), layout.height());
    let mut buffer = vec![255u8; width * height * 3];
    let mut blit = |image: &Image, col: usize, row: usize| {
        let (cw, chh) = (layout.cell_width, layout.cell_height);
        if (image.width as usize, image.height as usize, image.channels) != (cw, chh, 3) {
            return;
        }
        let (x0, y0) = layout.origin(col, row);
        for y in 0..chh {
            let at = ((y0 + y) * width + x0) * 3;
            buffer[at..at + cw * 3].copy_from_slice(&image.pixels[y * cw * 3..(y + 1) * cw * 3]);
        }
    };
    blit(&sent, 0, 0);
    for (row, scheme) in schemes.iter().enumerate() {
        for (col, &snr) in snrs.iter().enumerate() {
            let kept = || {
                let (grid, old) = previous.as_ref()?;
                let (old_col, old_row) = old.find(scheme, snr)?;
                Some(old.cell(grid, old_col, old_row))
            };
            if let Some(image) = load(&received_path(dir, scheme, snr)).or_else(kept) {
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
            text(&format!("Es/N0 {snr} dB"), layout.origin(col + 1, 0).0, 8)?;
        }
        for (row, scheme) in schemes.iter().enumerate() {
            let y = layout.origin(0, row).1 + layout.cell_height / 2;
            // Long names are cut to what fits beside the cells.
            let name: String = scheme.chars().take(24).collect();
            text(&name, 6, y)?;
        }
        root.present()?;
    }
    let grid = Image { width: width as u32, height: height as u32, channels: 3, pixels: buffer };
    write_atomic(&path, &encode_grid(&grid, &layout).with_context(|| format!("{}: PNG encoder", path.display()))?)?;
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

    #[test]
    fn a_redrawn_grid_keeps_the_cells_whose_pictures_are_gone_but_only_for_the_same_image_sent() {
        let dir = tempfile::tempdir().unwrap();
        let image = |v: u8| Image { width: 8, height: 6, channels: 3, pixels: vec![v; 8 * 6 * 3] };
        let cell = |dir: &Path, scheme: &str, snr: f64| {
            let (grid, layout) = read_grid(&dir.join(GRID_FILE)).expect("a grid with its layout");
            let (col, row) = layout.find(scheme, snr)?;
            Some(layout.cell(&grid, col, row).pixels[0])
        };
        write_sent(dir.path(), &image(10)).unwrap();
        write_received(dir.path(), "a", 0.0, &image(20)).unwrap();
        write_received(dir.path(), "b", 3.0, &image(30)).unwrap();
        write_grid(dir.path(), &["a", "b"], &[0.0, 3.0]).unwrap();
        // As a committed reference folder is kept: the grid without the pictures it was drawn from.
        std::fs::remove_file(received_path(dir.path(), "a", 0.0)).unwrap();
        std::fs::remove_file(received_path(dir.path(), "b", 3.0)).unwrap();
        // A resumed run adds a scheme, reruns b at 3 dB, and lists the schemes in another order.
        write_received(dir.path(), "c", 0.0, &image(40)).unwrap();
        write_received(dir.path(), "b", 3.0, &image(50)).unwrap();
        write_grid(dir.path(), &["c", "b", "a"], &[0.0, 3.0]).unwrap();
        let got = |s, snr| cell(dir.path(), s, snr);
        assert_eq!(
            [got("a", 0.0), got("b", 3.0), got("c", 0.0), got("a", 3.0), got("b", 0.0)],
            [Some(20), Some(50), Some(40), Some(255), Some(255)],
            "a kept, b redrawn from its new picture, c added, missing cells white"
        );
        // Another image sent: the old cells belong to another picture and are not kept.
        write_sent(dir.path(), &image(11)).unwrap();
        std::fs::remove_file(received_path(dir.path(), "b", 3.0)).unwrap();
        write_grid(dir.path(), &["c", "b", "a"], &[0.0, 3.0]).unwrap();
        assert_eq!([got("a", 0.0), got("b", 3.0), got("c", 0.0)], [Some(255), Some(255), Some(40)]);
    }
}
