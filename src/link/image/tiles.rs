//! The tiles an image scenario sends: photographs cut into square tiles, one tile per message.
//!
//! Images are the named photographs of the fixed set (`source::image::photos`, fetched and
//! hash-checked) and then `[image] files`, in that order. Every image is made RGB (grey replicated
//! to three channels, an alpha channel dropped: the Deep JSCC model takes RGB, and the image LM
//! codes a replicated channel in almost no bits) and cut into `tile × tile` tiles in raster order;
//! strips at the right and bottom edges narrower than a tile are dropped. `tiles = N` keeps the first
//! N tiles (`sample = "first"`) or N drawn without replacement from a stream of the scenario's seed
//! (`"random"`, kept in set order); 0 keeps every tile.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use source::image::io::Image;
use source::image::photos::{load_photo, photo_by_name};

use crate::link::paths::resolve;
use crate::link::sampling::pick_messages;
use crate::scenario::ImageConfig;

/// Stream id of the random sample of tiles (kept apart from every scheme's channel streams).
const SAMPLE_STREAM: u64 = 0x7469_6c65; // "tile"

/// Channels of every tile (RGB).
pub const TILE_CHANNELS: u8 = 3;

/// One tile: where it comes from and its pixels (`tile × tile × 3`, interleaved RGB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    /// Index into [`TileSet::images`].
    pub image: usize,
    /// Top-left pixel of the tile in its image.
    pub x: u32,
    pub y: u32,
    pub pixels: Vec<u8>,
}

/// An image the tiles come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceImage {
    /// The photo's name, or the file as the scenario gives it.
    pub name: String,
    pub width: u32,
    pub height: u32,
}

/// The tiles sent, in message order.
#[derive(Debug, Clone)]
pub struct TileSet {
    pub tile: u32,
    pub images: Vec<SourceImage>,
    pub tiles: Vec<Tile>,
}

impl TileSet {
    /// Loads the images `config` names (files relative to `base` when not found as given) and picks
    /// the tiles (see the module docs).
    pub fn load(config: &ImageConfig, base: &Path, seed: u64, verbose: bool) -> anyhow::Result<Self> {
        let mut loaded: Vec<(String, Image)> = Vec::new();
        for name in &config.photos {
            let photo =
                photo_by_name(name).with_context(|| format!("field 'image.photos': no photograph named '{name}'"))?;
            let image = load_photo(photo, verbose).with_context(|| format!("field 'image.photos': '{name}'"))?;
            loaded.push((name.clone(), image));
        }
        for file in &config.files {
            let path: PathBuf = resolve(file, base);
            let image = source::image::io::load_image(&path).with_context(|| format!("field 'image.files': {file}"))?;
            loaded.push((file.clone(), image));
        }
        let t = config.tile;
        let mut images = Vec::new();
        let mut all = Vec::new();
        for (i, (name, image)) in loaded.into_iter().enumerate() {
            let rgb = to_rgb(&image);
            for ty in 0..rgb.height / t {
                for tx in 0..rgb.width / t {
                    let crop = rgb.crop(tx * t, ty * t, t, t);
                    all.push(Tile { image: i, x: tx * t, y: ty * t, pixels: crop.pixels });
                }
            }
            images.push(SourceImage { name, width: image.width, height: image.height });
        }
        if all.is_empty() {
            anyhow::bail!("field 'image.tile': no image is {t} pixels wide and high, so there is no tile to send");
        }
        let wanted = if config.tiles == 0 { all.len() } else { config.tiles };
        if wanted > all.len() {
            anyhow::bail!(
                "field 'image.tiles' asks for {wanted} tiles but the images give {} tiles of {t}×{t}",
                all.len()
            );
        }
        let picked = pick_messages(all.len(), wanted, config.sample, seed, SAMPLE_STREAM);
        let tiles = picked.into_iter().map(|j| all[j].clone()).collect();
        Ok(TileSet { tile: t, images, tiles })
    }

    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }

    /// Subpixels per tile.
    pub fn subpixels_per_tile(&self) -> usize {
        (self.tile * self.tile) as usize * TILE_CHANNELS as usize
    }

    /// Pixels over all tiles.
    pub fn pixels(&self) -> u64 {
        self.tiles.len() as u64 * (self.tile * self.tile) as u64
    }

    /// Tile `j` as an image.
    pub fn image(&self, j: usize) -> Image {
        Image { width: self.tile, height: self.tile, channels: TILE_CHANNELS, pixels: self.tiles[j].pixels.clone() }
    }

    /// Image `image` of the set as the tiles `pixels_of(j)` show it: each of its tiles in the set at
    /// its place, the rest (tiles not sampled, edge strips) mid-grey. Its size is the image's cut to
    /// whole tiles.
    pub fn mosaic<'a>(&self, image: usize, pixels_of: impl Fn(usize) -> &'a [u8]) -> Image {
        let (t, ch) = (self.tile as usize, TILE_CHANNELS as usize);
        let (w, h) = (self.images[image].width as usize / t * t, self.images[image].height as usize / t * t);
        let mut pixels = vec![128u8; w * h * ch];
        for (j, tile) in self.tiles.iter().enumerate().filter(|(_, tile)| tile.image == image) {
            let p = pixels_of(j);
            for row in 0..t {
                let at = ((tile.y as usize + row) * w + tile.x as usize) * ch;
                pixels[at..at + t * ch].copy_from_slice(&p[row * t * ch..(row + 1) * t * ch]);
            }
        }
        Image { width: w as u32, height: h as u32, channels: TILE_CHANNELS, pixels }
    }

    /// sha256 over the tiles' positions and pixels, in order: what a merge checks it scores against.
    pub fn sha256(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.tile.to_le_bytes());
        for t in &self.tiles {
            h.update(self.images[t.image].name.as_bytes());
            h.update([0]);
            h.update(t.x.to_le_bytes());
            h.update(t.y.to_le_bytes());
            h.update(&t.pixels);
        }
        format!("{:x}", h.finalize())
    }
}

/// `image` as interleaved RGB: grey replicated, alpha dropped.
pub fn to_rgb(image: &Image) -> Image {
    let ch = image.channels as usize;
    let pixels = match ch {
        3 => image.pixels.clone(),
        4 => image.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect(),
        _ => image.pixels.chunks_exact(ch).flat_map(|p| [p[0], p[0], p[0]]).collect(),
    };
    Image { width: image.width, height: image.height, channels: 3, pixels }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::SampleKind;

    fn write_png(path: &Path, w: u32, h: u32, ch: u8) {
        let pixels: Vec<u8> = (0..w * h * ch as u32).map(|i| (i * 7 % 251) as u8).collect();
        let image = Image::new(w, h, ch, pixels).unwrap();
        std::fs::write(path, source::image::io::encode_png(&image, source::image::io::PngEffort::Default).unwrap())
            .unwrap();
    }

    #[test]
    fn tiles_in_raster_order_edges_dropped_grey_made_rgb() {
        let dir = tempfile::tempdir().unwrap();
        write_png(&dir.path().join("a.png"), 20, 17, 1);
        write_png(&dir.path().join("b.png"), 8, 8, 4);
        let config = ImageConfig {
            photos: vec![],
            files: vec!["a.png".into(), "b.png".into()],
            tile: 8,
            tiles: 0,
            sample: SampleKind::First,
            ..ImageConfig::default()
        };
        let set = TileSet::load(&config, dir.path(), 1, false).unwrap();
        // a: 2 × 2 whole tiles (the 4-pixel and 1-pixel strips dropped); b: one.
        let at: Vec<(usize, u32, u32)> = set.tiles.iter().map(|t| (t.image, t.x, t.y)).collect();
        assert_eq!(at, vec![(0, 0, 0), (0, 8, 0), (0, 0, 8), (0, 8, 8), (1, 0, 0)]);
        assert!(set.tiles.iter().all(|t| t.pixels.len() == 8 * 8 * 3));
        // Grey replicated: the tile at (8, 8) of a, pixel (1, 2), is a's pixel (9, 10) three times.
        let grey = (10 * 20 + 9) * 7 % 251;
        assert_eq!(set.tiles[3].pixels[(2 * 8 + 1) * 3..][..3], [grey as u8; 3]);
        let r1 = TileSet::load(
            &ImageConfig { tiles: 3, sample: SampleKind::Random, ..config.clone() },
            dir.path(),
            5,
            false,
        )
        .unwrap();
        let r2 = TileSet::load(
            &ImageConfig { tiles: 3, sample: SampleKind::Random, ..config.clone() },
            dir.path(),
            5,
            false,
        )
        .unwrap();
        assert_eq!(r1.sha256(), r2.sha256());
        assert_ne!(r1.sha256(), set.sha256());
        // The mosaic puts every tile back at its place.
        let a = set.mosaic(0, |j| &set.tiles[j].pixels);
        assert_eq!((a.width, a.height), (16, 16));
        assert_eq!(a.crop(8, 8, 8, 8).pixels, set.tiles[3].pixels);
        let e = TileSet::load(&ImageConfig { tiles: 9, ..config }, dir.path(), 1, false).unwrap_err();
        assert!(format!("{e:#}").contains("image.tiles"), "{e:#}");
    }
}
