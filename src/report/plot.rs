//! Plots of a results folder (SVG), redrawn from the CSV rows so `sim plot DIR` gives the same figure.
//!
//! BER (and BLER) against the scenario's SNR axis on a log scale, one line per scheme, with 95 %
//! Wilson error bars and the closed-form curve where theory exists.

use std::path::Path;

use plotters::prelude::*;

use super::ResultRow;

/// Writes `ber.svg` in `dir`.
pub fn ber_plot(dir: &Path, rows: &[ResultRow], title: &str) -> anyhow::Result<()> {
    let points: Vec<&ResultRow> = rows.iter().filter(|r| r.frames > 0).collect();
    if points.is_empty() {
        return Ok(());
    }
    let x_min = points.iter().map(|r| r.snr_db).fold(f64::INFINITY, f64::min);
    let x_max = points.iter().map(|r| r.snr_db).fold(f64::NEG_INFINITY, f64::max);
    let positive = |v: f64| v.is_finite() && v > 0.0;
    let y_min = points
        .iter()
        .flat_map(|r| [r.ber, r.bler, r.ber_theory.unwrap_or(f64::NAN), r.ber_lo])
        .filter(|&v| positive(v))
        .fold(1.0f64, f64::min)
        .max(1e-12)
        / 2.0;
    let path = dir.join("ber.svg");
    let root = SVGBackend::new(&path, (800, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let (x0, x1) = if x_max > x_min { (x_min, x_max) } else { (x_min - 1.0, x_max + 1.0) };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, (y_min..1.0f64).log_scale())?;
    chart.configure_mesh().x_desc("SNR (dB, scenario axis)").y_desc("error rate").y_label_formatter(&|v| format!("{v:.0e}")).draw()?;

    let mut schemes: Vec<&str> = points.iter().map(|r| r.scheme.as_str()).collect();
    schemes.sort();
    schemes.dedup();
    for (i, scheme) in schemes.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let mut mine: Vec<&ResultRow> = points.iter().copied().filter(|r| r.scheme == *scheme).collect();
        mine.sort_by(|a, b| a.snr_db.total_cmp(&b.snr_db));
        let ber: Vec<(f64, f64)> = mine.iter().filter(|r| positive(r.ber)).map(|r| (r.snr_db, r.ber)).collect();
        chart
            .draw_series(LineSeries::new(ber.clone(), color.stroke_width(2)))?
            .label(format!("{scheme} BER"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(ber.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        chart.draw_series(mine.iter().filter(|r| positive(r.ber_lo) && positive(r.ber_hi)).map(|r| {
            PathElement::new(vec![(r.snr_db, r.ber_lo), (r.snr_db, r.ber_hi)], color.stroke_width(1))
        }))?;
        let bler: Vec<(f64, f64)> = mine.iter().filter(|r| positive(r.bler) && r.bler != r.ber).map(|r| (r.snr_db, r.bler)).collect();
        if !bler.is_empty() {
            let dashed = color.mix(0.6);
            chart
                .draw_series(DashedLineSeries::new(bler, 6, 4, dashed.stroke_width(2)))?
                .label(format!("{scheme} BLER"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], dashed.stroke_width(2)));
        }
        let theory: Vec<(f64, f64)> = mine.iter().filter_map(|r| r.ber_theory.filter(|&t| positive(t)).map(|t| (r.snr_db, t))).collect();
        if !theory.is_empty() {
            chart
                .draw_series(LineSeries::new(theory, BLACK.stroke_width(1)))?
                .label(format!("{scheme} theory"))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
        }
    }
    chart.configure_series_labels().border_style(BLACK).background_style(WHITE.mix(0.9)).position(SeriesLabelPosition::LowerLeft).draw()?;
    root.present()?;
    Ok(())
}
