//! Images as a source, on the real photographs (scikit-image's, fetched and hash-checked by the
//! program itself): every coder round-trips exactly, the shipped image LM beats PNG and WebP on
//! held-out photos, corrupted streams decode without panic or hang, and `sim compress` /
//! `sim decompress` handle PNG and JPEG files as a user would give them.

use crate::common::{fails_with, sim, stderr};
use source::image::bench::{bench_image, mean_rows, IMAGE_LM};
use source::image::coder::{decode_image, encode_image, ImageStop};
use source::image::container::{compress_image, decompress_image};
use source::image::io::{decode_png, encode_png, Image, PngEffort};
use source::image::lm::ImageLm;
use source::image::photos::{load_photo, photo_by_name, photos, Split};
use std::path::Path;

fn held_out() -> Vec<(&'static str, Image)> {
    photos(Split::HeldOut).map(|p| (p.name, load_photo(p, false).expect("photo set"))).collect()
}

#[test]
fn every_coder_round_trips_crops_of_every_held_out_photo_and_the_lm_beats_png_and_webp() {
    let model = ImageLm::embedded().unwrap();
    let mut rows = Vec::new();
    for (name, image) in held_out() {
        // A corner (every border rule) and a 128 × 128 window from the middle.
        let corner = image.crop(0, 0, 37, 23);
        bench_image(&corner, name, Some(&model), None).unwrap();
        let middle = image.crop(image.width / 2 - 64, image.height / 2 - 64, 128, 128);
        rows.extend(bench_image(&middle, name, Some(&model), None).unwrap());
    }
    let means = mean_rows(&rows);
    let mean = |coder: &str| means.iter().find(|(c, _, _)| c == coder).unwrap().1;
    let (lm, png, webp) = (mean(IMAGE_LM), mean("png-best"), mean("webp-lossless"));
    assert!(lm < png && lm < webp, "image LM {lm:.3} bits/subpixel vs PNG {png:.3}, WebP {webp:.3}");
}

#[test]
fn a_whole_photo_round_trips_and_costs_what_the_model_says() {
    let model = ImageLm::embedded().unwrap();
    let image = load_photo(photo_by_name("coins").unwrap(), false).unwrap();
    let bits = encode_image(&model, &image).unwrap();
    let info = source::image::coder::information_bits(&model, &image);
    assert!((bits.len() as f64 - info).abs() <= 2.0 + 1e-6 * info, "{} bits coded, {info:.1} by the model", bits.len());
    let back = decode_image(&model, &bits, image.width, image.height, image.channels);
    assert_eq!(back.stop, ImageStop::Complete);
    assert_eq!(back.image, image);
}

#[test]
fn corrupted_image_streams_decode_to_an_image_of_the_right_size() {
    let model = ImageLm::embedded().unwrap();
    let image = load_photo(photo_by_name("astronaut").unwrap(), false).unwrap().crop(200, 100, 40, 30);
    let packed = compress_image(&image, &model).unwrap();
    let bits = encode_image(&model, &image).unwrap();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for trial in 0..12 {
        let mut damaged = bits.clone();
        match trial % 3 {
            0 => damaged.truncate(damaged.len() * trial / 12),
            1 => {
                for _ in 0..1 + trial {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let i = (rng % damaged.len() as u64) as usize;
                    damaged[i] ^= 1;
                }
            }
            _ => damaged.iter_mut().for_each(|b| *b = 1),
        }
        let started = std::time::Instant::now();
        let out = decode_image(&model, &damaged, image.width, image.height, image.channels);
        assert_eq!((out.image.width, out.image.height, out.image.channels), (40, 30, 3));
        assert_eq!(out.image.pixels.len(), image.pixels.len());
        assert!(out.subpixels <= image.pixels.len());
        assert!(started.elapsed().as_secs() < 10, "decoding a damaged stream took too long");
    }
    // The container's checks turn damage into clear errors.
    let mut bad = packed.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x10;
    bad[70] ^= 0x01;
    let err = decompress_image(&bad, &model).unwrap_err().to_string();
    assert!(err.contains("corrupted"), "{err}");
    let err = decompress_image(&packed[..packed.len() - 3], &model).unwrap_err().to_string();
    assert!(err.contains("truncated"), "{err}");
    assert_eq!(decompress_image(&packed, &model).unwrap(), image);
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn sim_compresses_png_and_jpeg_files_and_refuses_what_it_cannot_code() {
    let dir = tempfile::tempdir().unwrap();
    let photo = load_photo(photo_by_name("chelsea").unwrap(), false).unwrap().crop(100, 50, 96, 64);
    let grey = load_photo(photo_by_name("camera").unwrap(), false).unwrap().crop(0, 0, 64, 48);
    for (name, image) in [("cat.png", &photo), ("camera.png", &grey)] {
        let png = dir.path().join(name);
        std::fs::write(&png, encode_png(image, PngEffort::Default).unwrap()).unwrap();
        let packed = dir.path().join(format!("{name}.lmsi"));
        let back = dir.path().join(format!("{name}.back.png"));
        // PNG files are coded as images by default.
        let out = sim(&["compress", s(&png), "-o", s(&packed)]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("image LM"));
        let out = sim(&["decompress", s(&packed), "-o", s(&back), "--quiet"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(&decode_png(&std::fs::read(&back).unwrap()).unwrap(), image, "{name}");
    }
    // A JPEG file (a crop of a held-out photo at quality 85), with the image coder asked for: its
    // decoded pixels come back exactly.
    let jpeg_path = dir.path().join("photo.jpg");
    let coffee = load_photo(photo_by_name("coffee").unwrap(), false).unwrap().crop(300, 150, 80, 56);
    jpeg_encoder::Encoder::new_file(&jpeg_path, 85)
        .unwrap()
        .encode(&coffee.pixels, 80, 56, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    let packed = dir.path().join("photo.lmsi");
    let back = dir.path().join("photo.png");
    let out = sim(&["compress", s(&jpeg_path), "-o", s(&packed), "--coder", "image-lm", "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sim(&["decompress", s(&packed), "-o", s(&back), "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let want = source::image::io::load_image(&jpeg_path).unwrap();
    assert_eq!(decode_png(&std::fs::read(&back).unwrap()).unwrap(), want);
    // A 16-bit PNG is refused by name, and nothing is written.
    let deep = dir.path().join("deep.png");
    let mut data = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut data, 4, 4);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Sixteen);
        enc.write_header().unwrap().write_image_data(&[7u8; 32]).unwrap();
    }
    std::fs::write(&deep, data).unwrap();
    let out_path = dir.path().join("deep.lmsi");
    fails_with(&["compress", s(&deep), "-o", s(&out_path), "--coder", "image-lm"], &["deep.png", "16-bit"]);
    assert!(!out_path.exists());
    // A damaged image container is a clear error and leaves no output.
    let mut bytes = std::fs::read(dir.path().join("cat.png.lmsi")).unwrap();
    let n = bytes.len();
    bytes[n - 5] ^= 0xff;
    let damaged = dir.path().join("damaged.lmsi");
    std::fs::write(&damaged, bytes).unwrap();
    let restored = dir.path().join("restored.png");
    fails_with(&["decompress", s(&damaged), "-o", s(&restored)], &["damaged.lmsi", "corrupted"]);
    assert!(!restored.exists());
}

#[test]
fn a_png_the_image_lm_cannot_beat_is_stored_as_it_is() {
    // A random 8 × 8 tile repeated: PNG's LZ77 codes the repeats for almost nothing, a local pixel
    // model pays for noise everywhere.
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let tile: Vec<u8> = (0..8 * 8 * 3)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 32) as u8
        })
        .collect();
    let (w, h) = (96u32, 64u32);
    let mut pixels = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h as usize {
        for x in 0..w as usize {
            pixels.extend_from_slice(&tile[((y % 8) * 8 + x % 8) * 3..][..3]);
        }
    }
    let image = Image::new(w, h, 3, pixels).unwrap();
    let png = encode_png(&image, PngEffort::Best).unwrap();
    let model = ImageLm::embedded().unwrap();
    let packed = source::image::container::compress_image_or_png(&image, &model, &png).unwrap();
    assert!(source::image::container::inspect_image(&packed).unwrap().stored_png);
    assert!(packed.len() <= png.len() + 64, "{} bytes for a {}-byte PNG", packed.len(), png.len());
    assert_eq!(decompress_image(&packed, &model).unwrap(), image);
    // Through the command line, and a photo still goes through the image LM.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tiles.png");
    std::fs::write(&input, &png).unwrap();
    let out = sim(&["compress", s(&input), "-o", s(&dir.path().join("tiles.lmsi"))]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("stored as it is"));
    let photo = load_photo(photo_by_name("coffee").unwrap(), false).unwrap().crop(0, 0, 64, 64);
    let photo_png = encode_png(&photo, PngEffort::Best).unwrap();
    let packed = source::image::container::compress_image_or_png(&photo, &model, &photo_png).unwrap();
    assert!(!source::image::container::inspect_image(&packed).unwrap().stored_png);
}
