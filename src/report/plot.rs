//! Plots of a results folder, redrawn from the CSV rows so `sim plot DIR` gives the same figures.
//!
//! Every figure is written twice, as SVG (for papers) and PNG (for a quick look), from one
//! description ([`Figure`]): one line per scheme, legends naming the schemes. PNG text is rendered
//! with the DejaVu Sans font built into `sim`, so it looks the same on machines without fonts.
//!
//! - `ber`: BER (solid, 95 % Wilson bars) and BLER (dashed) against the scenario's SNR axis on a
//!   log scale, with the closed-form curve where theory exists. Every scenario.
//! - Text links only: `bleu` (BLEU-4 with its 95 % bootstrap bars, and BLEU-1 dashed) and
//!   `similarity` (with its bars) against the nominal SNR, and `bleu_unified`, `similarity_unified`
//!   against the unified SNR. Where limits are given (BPSK on AWGN, [`super::distance`]), the BLEU
//!   plots mark with a dotted vertical line, in each scheme's colour, the SNR below which no code of
//!   its message's length reaches the target message error rate (Shannon's 1959 sphere-packing bound).

use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::distance::Distance;
use super::ResultRow;

/// Line colours (Tableau 10: distinguishable, and readable on white, unlike pure yellow).
const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// DejaVu Sans (see `fonts/LICENSE`).
static FONT: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

#[derive(Clone, Copy, PartialEq)]
enum Stroke {
    Solid,
    Dashed,
    Dotted,
}

struct Series {
    label: String,
    /// Colour index: series of one scheme share it.
    colour: usize,
    stroke: Stroke,
    points: Vec<(f64, f64)>,
    /// Vertical interval bars (x, low, high).
    bars: Vec<(f64, f64, f64)>,
    markers: bool,
}

struct Figure {
    title: String,
    x_label: String,
    y_label: String,
    /// Log scale on y (error rates) or linear: [0, 1] for scores in it (BLEU, similarity, SSIM),
    /// else from 0 to the largest value (PSNR).
    log_y: bool,
    series: Vec<Series>,
}

/// Writes every figure the rows support into `dir` (SVG and PNG), marking `limits` on the BLEU plots;
/// returns the files written.
pub fn all_plots(dir: &Path, rows: &[ResultRow], title: &str, limits: &[Distance]) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = ber_plot(dir, rows, title)?;
    let text: Vec<&ResultRow> = rows.iter().filter(|r| r.messages.is_some_and(|m| m > 0)).collect();
    if text.is_empty() {
        return Ok(written);
    }
    let schemes = scheme_order(&text);
    let unified = |r: &ResultRow| r.snr_unified_db;
    let nominal = |r: &ResultRow| Some(r.snr_db);
    if text.iter().any(|r| r.psnr_db.is_some()) {
        let psnr: Metric =
            ("psnr", "PSNR (dB; 100 = every tile exact)", &|r| r.psnr_db, &|r| Some((r.psnr_lo?, r.psnr_hi?)));
        let ssim: Metric = ("ssim", "SSIM", &|r| r.ssim, &|r| Some((r.ssim_lo?, r.ssim_hi?)));
        written.extend(quality_plots(dir, &text, &schemes, title, &[psnr, ssim])?);
        return Ok(written);
    }
    if text.iter().any(|r| r.audio_snr_db.is_some()) {
        let snr: Metric =
            ("audio_snr", "SNR of the samples (dB; 100 = every frame exact)", &|r| r.audio_snr_db, &|r| {
                Some((r.audio_snr_lo?, r.audio_snr_hi?))
            });
        let seg: Metric = ("seg_snr", "segmental SNR (dB, segments clamped to [-10, 35])", &|r| r.seg_snr_db, &|r| {
            Some((r.seg_snr_lo?, r.seg_snr_hi?))
        });
        let stoi: Metric =
            ("stoi", "STOI (0 = unintelligible, 1 = as sent)", &|r| r.stoi, &|r| Some((r.stoi_lo?, r.stoi_hi?)));
        let estoi: Metric =
            ("estoi", "ESTOI (0 = unintelligible, 1 = as sent)", &|r| r.estoi, &|r| Some((r.estoi_lo?, r.estoi_hi?)));
        let with_stoi = text.iter().any(|r| r.stoi.is_some());
        let with_estoi = text.iter().any(|r| r.estoi.is_some());
        let metrics: Vec<Metric> = [Some(snr), Some(seg), with_stoi.then_some(stoi), with_estoi.then_some(estoi)]
            .into_iter()
            .flatten()
            .collect();
        written.extend(quality_plots(dir, &text, &schemes, title, &metrics)?);
        return Ok(written);
    }
    for (stem, x_of, x_label) in [
        ("bleu", &nominal as &dyn Fn(&ResultRow) -> Option<f64>, "SNR (dB, scenario axis)"),
        ("bleu_unified", &unified, "unified SNR (dB)"),
    ] {
        let mut series = Vec::new();
        for (i, s) in schemes.iter().enumerate() {
            let mut bleu4 = line(&text, s, i, Stroke::Solid, format!("{s} BLEU-4"), x_of, |r| r.bleu4);
            bleu4.bars = interval_bars(&text, s, x_of, |r| Some((r.bleu4_lo?, r.bleu4_hi?)));
            series.push(bleu4);
            series.push(line(&text, s, i, Stroke::Dashed, format!("{s} BLEU-1"), x_of, |r| r.bleu1));
            // The bound is in Es/N0; the plot's axis is shifted from it by the same amount at every
            // point of a scheme (the scenario axis by the rate, the unified axis by the charge).
            let shift = text.iter().find(|r| r.scheme == *s).and_then(|r| Some(x_of(r)? - r.esn0_db));
            // Where a sphere-packing bound holds it is marked (no code does better); on fast
            // fading, where none holds, the normal approximation (an estimate of the best code).
            let mark = limits.iter().find(|d| d.scheme == *s).map(|d| match d.sphere_packing_esn0_db {
                Some(x) => (x, format!("{s}: no code below (SP59, MER {})", d.target)),
                None => (
                    d.normal_approximation_esn0_db,
                    format!("{s}: best code, estimated (normal approximation, MER {})", d.target),
                ),
            });
            if let (Some((esn0_db, label)), Some(shift)) = (mark, shift) {
                let x = esn0_db + shift;
                series.push(Series {
                    label,
                    colour: i,
                    stroke: Stroke::Dotted,
                    points: vec![(x, 0.0), (x, 1.0)],
                    bars: Vec::new(),
                    markers: false,
                });
            }
        }
        let fig = Figure {
            title: format!("{title}: BLEU"),
            x_label: x_label.into(),
            y_label: "BLEU".into(),
            log_y: false,
            series,
        };
        written.extend(save(&fig, dir, stem)?);
    }
    if text.iter().any(|r| r.similarity.is_some()) {
        for (stem, x_of, x_label) in [
            ("similarity", &nominal as &dyn Fn(&ResultRow) -> Option<f64>, "SNR (dB, scenario axis)"),
            ("similarity_unified", &unified, "unified SNR (dB)"),
        ] {
            let series = schemes
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mut l = line(&text, s, i, Stroke::Solid, s.to_string(), x_of, |r| r.similarity);
                    l.bars = interval_bars(&text, s, x_of, |r| Some((r.similarity_lo?, r.similarity_hi?)));
                    l
                })
                .collect();
            let fig = Figure {
                title: format!("{title}: semantic similarity (all-MiniLM-L6-v2)"),
                x_label: x_label.into(),
                y_label: "cosine similarity".into(),
                log_y: false,
                series,
            };
            written.extend(save(&fig, dir, stem)?);
        }
    }
    Ok(written)
}

/// A quality metric of a plot: file stem, y label, the value and its interval.
type Metric<'a> =
    (&'a str, &'a str, &'a dyn Fn(&ResultRow) -> Option<f64>, &'a dyn Fn(&ResultRow) -> Option<(f64, f64)>);

/// An image or audio link's plots: each metric against the scenario's SNR axis and the unified one
/// (images: `psnr.*`, `psnr_unified.*`, `ssim.*`, `ssim_unified.*`; audio: `audio_snr.*`,
/// `seg_snr.*`, `stoi.*`, `estoi.*` and their `_unified` twins), with their bootstrap intervals.
fn quality_plots(
    dir: &Path,
    rows: &[&ResultRow],
    schemes: &[&str],
    title: &str,
    metrics: &[Metric],
) -> anyhow::Result<Vec<PathBuf>> {
    let unified = |r: &ResultRow| r.snr_unified_db;
    let nominal = |r: &ResultRow| Some(r.snr_db);
    let mut written = Vec::new();
    for &(metric, y_label, value, interval) in metrics {
        for (suffix, x_of, x_label) in [
            ("", &nominal as &dyn Fn(&ResultRow) -> Option<f64>, "SNR (dB, scenario axis)"),
            ("_unified", &unified, "unified SNR (dB)"),
        ] {
            let series = schemes
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mut l = line(rows, s, i, Stroke::Solid, s.to_string(), x_of, value);
                    l.bars = interval_bars(rows, s, x_of, interval);
                    l
                })
                .collect();
            let fig = Figure {
                title: format!("{title}: {}", metric.replace('_', " ").to_uppercase()),
                x_label: x_label.into(),
                y_label: y_label.into(),
                log_y: false,
                series,
            };
            written.extend(save(&fig, dir, &format!("{metric}{suffix}"))?);
        }
    }
    Ok(written)
}

/// One named curve of a training run.
pub struct Curve {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// One curve of a comparison across results folders, with its interval bars (x, low, high).
pub struct ComparedCurve {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub bars: Vec<(f64, f64, f64)>,
}

/// An overlay of curves from several results folders (`sim compare`), one colour each, written as
/// `<stem>.svg` and `<stem>.png`.
pub fn comparison_plot(
    dir: &Path,
    stem: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    log_y: bool,
    curves: Vec<ComparedCurve>,
) -> anyhow::Result<Vec<PathBuf>> {
    let series = curves
        .into_iter()
        .enumerate()
        .map(|(i, c)| Series {
            label: c.label,
            colour: i,
            // Past ten curves colours repeat: the second ten are dashed.
            stroke: if (i / COLOURS.len()) % 2 == 0 { Stroke::Solid } else { Stroke::Dashed },
            markers: true,
            points: c.points,
            bars: c.bars,
        })
        .collect();
    let fig = Figure { title: title.into(), x_label: x_label.into(), y_label: y_label.into(), log_y, series };
    save(&fig, dir, stem)
}

/// A training run's learning curves: `training_loss` (log scale, against the step) and, when given,
/// `training_accuracy` (linear, 0..1). Returns the files written.
pub fn training_plots(
    dir: &Path,
    title: &str,
    y_label: &str,
    losses: Vec<Curve>,
    accuracies: Vec<Curve>,
) -> anyhow::Result<Vec<PathBuf>> {
    let series = |curves: Vec<Curve>| -> Vec<Series> {
        curves
            .into_iter()
            .enumerate()
            .map(|(i, c)| Series {
                label: c.label,
                colour: i,
                stroke: Stroke::Solid,
                markers: c.points.len() < 60,
                points: c.points,
                bars: Vec::new(),
            })
            .collect()
    };
    let loss = Figure {
        title: format!("{title}: loss"),
        x_label: "optimizer step".into(),
        y_label: y_label.into(),
        log_y: true,
        series: series(losses),
    };
    let mut written = save(&loss, dir, "training_loss")?;
    if !accuracies.is_empty() {
        let acc = Figure {
            title: format!("{title}: validation word accuracy"),
            x_label: "optimizer step".into(),
            y_label: "word accuracy (teacher forcing)".into(),
            log_y: false,
            series: series(accuracies),
        };
        written.extend(save(&acc, dir, "training_accuracy")?);
    }
    Ok(written)
}

/// Writes `ber.svg` and `ber.png` in `dir`.
pub fn ber_plot(dir: &Path, rows: &[ResultRow], title: &str) -> anyhow::Result<Vec<PathBuf>> {
    let points: Vec<&ResultRow> = rows.iter().filter(|r| r.frames > 0).collect();
    if points.is_empty() {
        return Ok(Vec::new());
    }
    let positive = |v: f64| v.is_finite() && v > 0.0;
    let mut series = Vec::new();
    let schemes = scheme_order(&points);
    for (i, scheme) in schemes.iter().enumerate() {
        let mine = of_scheme(&points, scheme);
        let mut ber =
            line(&points, scheme, i, Stroke::Solid, format!("{scheme} BER"), &|r| Some(r.snr_db), |r| Some(r.ber));
        ber.points.retain(|p| positive(p.1));
        ber.bars = mine
            .iter()
            .filter(|r| positive(r.ber_lo) && positive(r.ber_hi))
            .map(|r| (r.snr_db, r.ber_lo, r.ber_hi))
            .collect();
        ber.markers = true;
        series.push(ber);
        let bler: Vec<(f64, f64)> =
            mine.iter().filter(|r| positive(r.bler) && r.bler != r.ber).map(|r| (r.snr_db, r.bler)).collect();
        if !bler.is_empty() {
            series.push(Series {
                label: format!("{scheme} BLER"),
                colour: i,
                stroke: Stroke::Dashed,
                points: bler,
                bars: Vec::new(),
                markers: false,
            });
        }
        let theory: Vec<(f64, f64)> =
            mine.iter().filter_map(|r| r.ber_theory.filter(|&t| positive(t)).map(|t| (r.snr_db, t))).collect();
        if !theory.is_empty() {
            series.push(Series {
                label: format!("{scheme} theory"),
                colour: usize::MAX,
                stroke: Stroke::Solid,
                points: theory,
                bars: Vec::new(),
                markers: false,
            });
        }
    }
    let fig = Figure {
        title: title.to_string(),
        x_label: "SNR (dB, scenario axis)".into(),
        y_label: "error rate".into(),
        log_y: true,
        series,
    };
    save(&fig, dir, "ber")
}

/// Schemes in order of first appearance (the scenario's order).
fn scheme_order<'a>(rows: &[&'a ResultRow]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for r in rows {
        if !out.contains(&r.scheme.as_str()) {
            out.push(&r.scheme);
        }
    }
    out
}

fn of_scheme<'a>(rows: &[&'a ResultRow], scheme: &str) -> Vec<&'a ResultRow> {
    let mut mine: Vec<&ResultRow> = rows.iter().copied().filter(|r| r.scheme == scheme).collect();
    mine.sort_by(|a, b| a.snr_db.total_cmp(&b.snr_db));
    mine
}

fn line(
    rows: &[&ResultRow],
    scheme: &str,
    colour: usize,
    stroke: Stroke,
    label: String,
    x: &dyn Fn(&ResultRow) -> Option<f64>,
    y: impl Fn(&ResultRow) -> Option<f64>,
) -> Series {
    let mut points: Vec<(f64, f64)> = of_scheme(rows, scheme)
        .into_iter()
        .filter_map(|r| Some((x(r)?, y(r)?)))
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    Series { label, colour, stroke, points, bars: Vec::new(), markers: true }
}

/// A scheme's interval bars (x, low, high) where its rows have both ends.
fn interval_bars(
    rows: &[&ResultRow],
    scheme: &str,
    x: &dyn Fn(&ResultRow) -> Option<f64>,
    interval: impl Fn(&ResultRow) -> Option<(f64, f64)>,
) -> Vec<(f64, f64, f64)> {
    of_scheme(rows, scheme)
        .into_iter()
        .filter_map(|r| {
            let (lo, hi) = interval(r)?;
            Some((x(r)?, lo, hi))
        })
        .filter(|(x, lo, hi)| x.is_finite() && lo.is_finite() && hi.is_finite())
        .collect()
}

/// Makes the built-in font the bitmap backend's "sans-serif" (once per process).
pub(crate) fn register_font() {
    static FONT_ONCE: std::sync::Once = std::sync::Once::new();
    FONT_ONCE.call_once(|| {
        // The bytes are a valid TrueType font built into the binary; failure is impossible short of
        // a corrupted build, and would only cost the PNG text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Writes `<stem>.svg` and `<stem>.png`.
fn save(fig: &Figure, dir: &Path, stem: &str) -> anyhow::Result<Vec<PathBuf>> {
    register_font();
    let (svg, png) = (dir.join(format!("{stem}.svg")), dir.join(format!("{stem}.png")));
    draw(SVGBackend::new(&svg, (820, 580)).into_drawing_area(), fig)?;
    draw(BitMapBackend::new(&png, (1230, 870)).into_drawing_area(), fig)?;
    Ok(vec![svg, png])
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, fig: &Figure) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let all = || {
        fig.series
            .iter()
            .flat_map(|s| s.points.iter().copied().chain(s.bars.iter().flat_map(|&(x, lo, hi)| [(x, lo), (x, hi)])))
    };
    let (mut x0, mut x1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (x, _)| (a.min(x), b.max(x)));
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    if x1 <= x0 {
        (x0, x1) = (x0 - 1.0, x1 + 1.0);
    }
    let pad = (x1 - x0) * 0.02;
    let (x0, x1) = (x0 - pad, x1 + pad);
    let scale = (root.dim_in_pixel().0 as f64 / 820.0).max(1.0);
    let font = |size: f64| ("sans-serif", (size * scale) as u32);
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(&fig.title, font(20.0))
        .margin((12.0 * scale) as u32)
        .x_label_area_size((44.0 * scale) as u32)
        .y_label_area_size((70.0 * scale) as u32);
    if fig.log_y {
        let y_min = all().map(|p| p.1).filter(|&v| v > 0.0).fold(1.0f64, f64::min).max(1e-12) / 2.0;
        // Error rates end at 1; a training loss may start above it.
        let y_max = all().map(|p| p.1).filter(|v| v.is_finite()).fold(1.0f64, f64::max);
        let y_max = if y_max > 1.0 { y_max * 1.5 } else { 1.0 };
        let mut chart = builder.build_cartesian_2d(x0..x1, (y_min..y_max).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(&fig.x_label)
            .y_desc(&fig.y_label)
            .label_style(font(13.0))
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .draw()?;
        draw_series(&mut chart, fig, scale)?;
    } else {
        // Scores in [0, 1] (BLEU, similarity, SSIM) on [0, 1]; others (PSNR, SNR in dB) from 0 to
        // their top, or from below their lowest value when it is negative (an audio SNR can be).
        let y_max = all().map(|p| p.1).filter(|v| v.is_finite()).fold(1.0f64, f64::max);
        let y_top = if y_max > 1.0 { y_max * 1.05 } else { 1.02 };
        let y_min = all().map(|p| p.1).filter(|v| v.is_finite()).fold(0.0f64, f64::min);
        let y_bottom = if y_min < 0.0 { y_min - 0.05 * (y_top - y_min) } else { 0.0 };
        let mut chart = builder.build_cartesian_2d(x0..x1, y_bottom..y_top)?;
        chart.configure_mesh().x_desc(&fig.x_label).y_desc(&fig.y_label).label_style(font(13.0)).draw()?;
        draw_series(&mut chart, fig, scale)?;
    }
    root.present()?;
    Ok(())
}

fn draw_series<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    fig: &Figure,
    scale: f64,
) -> anyhow::Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    std::ops::Range<f64>: AsRangedCoord,
{
    let width = (2.0 * scale).round() as u32;
    for s in fig.series.iter().filter(|s| !s.points.is_empty()) {
        let colour = if s.colour == usize::MAX { BLACK.to_rgba() } else { COLOURS[s.colour % COLOURS.len()].to_rgba() };
        let style = colour.stroke_width(if s.colour == usize::MAX { 1 } else { width });
        let anno = match s.stroke {
            Stroke::Solid => chart.draw_series(LineSeries::new(s.points.clone(), style))?,
            Stroke::Dashed => {
                chart.draw_series(DashedLineSeries::new(s.points.clone(), 6 * width, 4 * width, style))?
            }
            Stroke::Dotted => chart.draw_series(DashedLineSeries::new(s.points.clone(), width, 3 * width, style))?,
        };
        let legend_style = style;
        let stroke = s.stroke;
        anno.label(&s.label).legend(move |(x, y)| {
            let pts = match stroke {
                Stroke::Solid => vec![(x, y), (x + 20, y)],
                Stroke::Dashed => vec![(x, y), (x + 7, y)],
                Stroke::Dotted => vec![(x, y), (x + 2, y)],
            };
            PathElement::new(pts, legend_style)
        });
        if s.markers {
            chart.draw_series(s.points.iter().map(|&p| Circle::new(p, (3.0 * scale) as u32, colour.filled())))?;
        }
        chart.draw_series(
            s.bars.iter().map(|&(x, lo, hi)| PathElement::new(vec![(x, lo), (x, hi)], colour.stroke_width(1))),
        )?;
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", (13.0 * scale) as u32))
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .position(if fig.log_y { SeriesLabelPosition::LowerLeft } else { SeriesLabelPosition::LowerRight })
        .draw()?;
    Ok(())
}
