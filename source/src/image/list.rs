//! List decoding of an image-LM stream: the receiver searches for the image whose arithmetic code
//! best explains the channel decoder's soft output, the image LM weighing every candidate
//! subpixel (the M-algorithm of [`crate::list_decoding`], whose module docs give the algorithm and
//! its sources).
//!
//! The image LM is the search's [`PathModel`]: a path is a partly decoded image (its subpixels in
//! coding order, the rest 0 and never read, since contexts are causal), and branching copies the
//! parent's buffer and writes one subpixel. Each table is the one the encoder used
//! ([`Mixture::table`](crate::image::mixture::Mixture::table) over the same causal inputs), so a
//! path emits exactly the bits a transmitter sending its subpixels would have sent. An image has
//! no end symbol: its size is known to both ends, so a path is complete after its last subpixel
//! ([`MessageEnd::Length`]), and the search's check that a message fits its burst (termination,
//! padding, length header, the blocks' parity) is what sorts right images from wrong ones.

use crate::image::context::Causal;
use crate::image::io::Image;
use crate::image::lm::{ImageLm, Scratch};
use crate::list_decoding::{list_decode, score_message, ListChoice, ListConfig, MessageEnd, PathModel, SoftPayload};
use crate::quantize::FrequencyTable;
use crate::SourceError;

/// What a list decoding of an image found.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedImage {
    /// The chosen image (`None`: no image fitted the burst within the penalty limit).
    pub image: Option<Image>,
    /// Model steps the search took (one subpixel prediction per path and level).
    pub model_steps: u64,
    /// The chosen image's score (ln P − penalty, [`ListChoice::score`]).
    pub score: Option<f64>,
}

/// The image LM's paths over one image size.
struct ImagePaths<'a> {
    model: &'a ImageLm,
    width: usize,
    height: usize,
    channels: usize,
    /// Each path's subpixels: those before `depth` decoded, the rest 0.
    paths: Vec<Vec<u8>>,
    /// Subpixels every current path holds.
    depth: usize,
    scratch: Scratch,
}

impl<'a> ImagePaths<'a> {
    /// No path yet: [`PathModel::root`] starts the search.
    fn new(model: &'a ImageLm, width: usize, height: usize, channels: usize) -> Self {
        ImagePaths { model, width, height, channels, paths: Vec::new(), depth: 0, scratch: model.scratch() }
    }

    /// The table of subpixel `self.depth` of path `path`'s image; past the last subpixel, a
    /// one-symbol table (the search completes such a path without asking for its next symbol).
    fn table(&mut self, path: usize) -> FrequencyTable {
        let pixels = &self.paths[path];
        if self.depth == pixels.len() {
            return FrequencyTable::from_frequencies(&[1]).expect("one symbol of frequency 1");
        }
        let (p, c) = (self.depth / self.channels, self.depth % self.channels);
        let causal = Causal::new(pixels, self.width, self.height, self.channels);
        self.model.mixture(&causal, p / self.width, p % self.width, c, &mut self.scratch).table()
    }
}

impl PathModel for ImagePaths<'_> {
    fn root(&mut self) -> Result<FrequencyTable, SourceError> {
        self.paths = vec![vec![0; self.width * self.height * self.channels]];
        self.depth = 0;
        Ok(self.table(0))
    }

    fn branch(&mut self, parents: &[usize], symbols: &[usize]) -> Result<Vec<FrequencyTable>, SourceError> {
        let at = self.depth;
        let mut next = Vec::with_capacity(parents.len());
        for (&parent, &symbol) in parents.iter().zip(symbols) {
            let level = u8::try_from(symbol).map_err(|_| SourceError::Symbol(format!("level {symbol}")))?;
            let mut pixels = self.paths[parent].clone();
            *pixels.get_mut(at).ok_or_else(|| SourceError::Symbol("a path past its image".into()))? = level;
            next.push(pixels);
        }
        self.paths = next;
        self.depth = at + 1;
        Ok((0..self.paths.len()).map(|i| self.table(i)).collect())
    }
}

/// List-decodes a `width × height × channels` image from what the receiver knows of its stream
/// (`soft`; see [`crate::list_decoding`]). Deterministic, and bounded: at most `config.beam` model
/// steps per subpixel and search.
pub fn list_decode_image(
    model: &ImageLm,
    soft: &SoftPayload,
    config: ListConfig,
    width: u32,
    height: u32,
    channels: u8,
) -> ListedImage {
    let (w, h, ch) = (width as usize, height as usize, channels as usize);
    let mut paths = ImagePaths::new(model, w, h, ch);
    let result = list_decode(&mut paths, MessageEnd::Length(w * h * ch), soft, config);
    let score = result.choice.as_ref().map(ListChoice::score);
    let image =
        result.choice.map(|c| Image { width, height, channels, pixels: c.symbols.iter().map(|&s| s as u8).collect() });
    ListedImage { image, model_steps: result.model_steps, score }
}

/// `image` scored as [`list_decode_image`] scores its paths (ln P and penalty, no limit; see
/// [`score_message`]): what the search would have found for it, to tell a search that missed the
/// sent image from one whose limit or metric kept it out. `None` if it cannot be the message here
/// (its code runs past the burst, or the framing rules it out).
pub fn score_image(model: &ImageLm, soft: &SoftPayload, image: &Image) -> Option<ListChoice> {
    let mut paths = ImagePaths::new(model, image.width as usize, image.height as usize, image.channels as usize);
    let symbols: Vec<usize> = image.pixels.iter().map(|&p| usize::from(p)).collect();
    score_message(&mut paths, MessageEnd::Length(symbols.len()), soft, &symbols)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::coder::{decode_image, encode_image, ImageStop};
    use crate::image::photos::{load_photo, photo_by_name};
    use crate::list_decoding::test_framing::{end_penalty, framed, received};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// 8×8 RGB tiles of a held-out photograph.
    fn tiles(count: usize) -> Vec<Image> {
        let photo = load_photo(photo_by_name("chelsea").expect("a held-out photo"), false).expect("the photo set");
        (0..count).map(|i| photo.crop(8 * i as u32, 96, 8, 8)).collect()
    }

    fn decode(model: &ImageLm, header: &[f32], llrs: &[f32], beam: usize, max_penalty: f64) -> ListedImage {
        let score = end_penalty(header, llrs.len(), 24);
        let soft = SoftPayload { llrs, end_penalty: &score, blocks: None };
        let config = ListConfig { beam, first_beam: beam, max_symbols: usize::MAX, max_penalty };
        list_decode_image(model, &soft, config, 8, 8, 3)
    }

    #[test]
    fn list_decoding_recovers_tiles_that_hard_decisions_lose() {
        // Real photo tiles, their streams framed (16-bit length, 24-bit blocks) and sent over
        // BPSK + AWGN without a code. Noiseless: each tile exactly, in at most beam × subpixels
        // steps. At σ = 0.35 hard decisions lose most tiles (a tile's ~700 bits see a few errors),
        // and the list recovers many of them, passing at most a rare wrong tile as right under the
        // penalty limit.
        let model = ImageLm::embedded().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let (mut hard_ok, mut list_ok, mut wrong, mut undecided) = (0, 0, 0, 0);
        for (i, tile) in tiles(44).iter().enumerate() {
            let bits = encode_image(&model, tile).unwrap();
            if i < 4 {
                let (header, llrs) = received(&bits, 16, 24, 1e-3, &mut rng);
                let listed = decode(&model, &header, &llrs, 4, f64::INFINITY);
                assert_eq!(listed.image.as_ref(), Some(tile));
                assert!(listed.model_steps <= 4 * tile.pixels.len() as u64 + 4, "{} steps", listed.model_steps);
                continue;
            }
            let (header, llrs) = received(&bits, 16, 24, 0.35, &mut rng);
            let hard: Vec<u8> = header.iter().chain(&llrs).map(|&l| (l < 0.0) as u8).collect();
            let intact = hard == framed(&bits, 16, 24);
            hard_ok += intact as usize;
            if !intact {
                // What the plain decoder makes of the hard decisions: never the tile.
                let payload = &hard[16..16 + bits.len()];
                let plain = decode_image(&model, payload, 8, 8, 3);
                assert!(plain.stop != ImageStop::Complete || plain.image != *tile || payload != bits.as_slice());
            }
            match decode(&model, &header, &llrs, 8, 10.0).image {
                Some(image) if image == *tile => list_ok += 1,
                Some(_) => wrong += 1,
                None => undecided += 1,
            }
        }
        eprintln!(
            "tiles intact of 40: hard decisions {hard_ok}, list {list_ok} ({wrong} wrong, {undecided} undecided)"
        );
        assert!(hard_ok <= 20, "the noise should break most tiles: {hard_ok}/40 intact");
        assert!(list_ok >= hard_ok + 6, "list {list_ok}/40, hard decisions {hard_ok}/40");
        // Measured 5 → 15, 1 wrong: without a code, the termination and the length are the only
        // checks.
        assert!(wrong <= 2, "{wrong} wrong tiles chosen under the penalty limit");
    }

    #[test]
    fn a_tiles_score_is_what_the_search_finds_for_it() {
        // The sent tile scored alone: its code is the encoder's stream, bit for bit in length, and
        // ln P is that length's worth of nats (the coder's termination adds at most 2 bits); a
        // tile the search returns has exactly the score the search gave it; with no noise the
        // penalty is 0.
        let model = ImageLm::embedded().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        let mut returned = 0;
        for tile in tiles(12) {
            let bits = encode_image(&model, &tile).unwrap();
            let (header, llrs) = received(&bits, 16, 24, 0.35, &mut rng);
            let end = end_penalty(&header, llrs.len(), 24);
            let soft = SoftPayload { llrs: &llrs, end_penalty: &end, blocks: None };
            let sent = score_image(&model, &soft, &tile).expect("the sent tile fits its burst");
            assert_eq!((sent.symbols.len(), sent.payload_bits), (192, bits.len()));
            let code_bits = -sent.ln_prob / std::f64::consts::LN_2;
            assert!(code_bits <= bits.len() as f64 && code_bits >= bits.len() as f64 - 2.0, "{code_bits}");
            let listed = decode(&model, &header, &llrs, 8, 30.0);
            if listed.image.as_ref() == Some(&tile) {
                returned += 1;
                assert_eq!(listed.score, Some(sent.score()));
            }
            let (header, llrs) = received(&bits, 16, 24, 1e-3, &mut rng);
            let end = end_penalty(&header, llrs.len(), 24);
            let clean = SoftPayload { llrs: &llrs, end_penalty: &end, blocks: None };
            assert_eq!(score_image(&model, &clean, &tile).map(|c| c.penalty), Some(0.0));
        }
        eprintln!("the search returned {returned} of 12 sent tiles");
        assert!(returned >= 3, "the search returned {returned} of 12 sent tiles");
    }

    #[test]
    fn garbage_ends_in_bounded_work() {
        let model = ImageLm::embedded().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        for window in [0usize, 24, 480] {
            let llrs: Vec<f32> = (0..window).map(|_| rand::Rng::random_range(&mut rng, -3.0..3.0)).collect();
            let header: Vec<f32> = (0..16).map(|_| rand::Rng::random_range(&mut rng, -3.0..3.0)).collect();
            let listed = decode(&model, &header, &llrs, 8, f64::INFINITY);
            assert!(listed.model_steps <= 8 * (192 + 1), "{} steps", listed.model_steps);
            assert!(listed.image.is_none_or(|i| i.pixels.len() == 192));
        }
    }
}
