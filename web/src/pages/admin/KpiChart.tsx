import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { locale } from '../../i18n';

export interface KpiChartProps {
  /** What the chart shows, for screen readers; the figures themselves are in the table. */
  readonly label: string;
  /** The id of the table holding the same figures (the chart's text alternative). */
  readonly describedBy: string;
  readonly periods: readonly string[];
  readonly values: readonly number[];
  readonly kind: 'bars' | 'line';
  readonly seriesLabel: string;
  readonly formatValue: (value: number) => string;
  /** A fixed value axis, e.g. 0 to 100 for percentages; otherwise from 0 to the largest value. */
  readonly maxValue?: number;
}

const ACCENT = '#1d4ed8';
const HEIGHT = 260;
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 100_000, 1_000_000];

function options(props: KpiChartProps, width: number): uPlot.Options {
  const { periods, kind, formatValue, maxValue } = props;
  return {
    width,
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      // Periods are categories at 0, 1, 2…; half a step of room on each side keeps the bars whole.
      x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] },
      y: { range: (_u, _min, max) => [0, maxValue ?? Math.max(1, max)] },
    },
    axes: [
      {
        // Whole periods only, far enough apart that labels like 2026-11-27 never overlap.
        incrs: WHOLE_STEPS,
        space: 96,
        values: (_u, splits) => splits.map((i) => periods[i] ?? ''),
      },
      // Counts step by whole numbers; a percentage may step by fractions.
      {
        values: (_u, splits) => splits.map(formatValue),
        size: 56,
        ...(maxValue ? {} : { incrs: WHOLE_STEPS }),
      },
    ],
    series: [
      {},
      {
        label: props.seriesLabel,
        stroke: ACCENT,
        width: 2,
        fill: kind === 'bars' ? 'rgba(29, 78, 216, 0.55)' : 'rgba(29, 78, 216, 0.12)',
        paths: kind === 'bars' ? uPlot.paths.bars?.({ size: [0.6, 48] }) : undefined,
        points: { show: kind === 'line' },
      },
    ],
  };
}

/** One figure per period as a uPlot chart (canvas), sized to its container. */
export function KpiChart(props: KpiChartProps) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const data: uPlot.AlignedData = [props.periods.map((_, i) => i), [...props.values]];
    const chart = new uPlot(options(props, element.clientWidth || 600), data, element);
    const resized = new ResizeObserver(() => {
      if (element.clientWidth > 0) chart.setSize({ width: element.clientWidth, height: HEIGHT });
    });
    resized.observe(element);
    return () => {
      resized.disconnect();
      chart.destroy();
    };
    // The axes format numbers for the language: a new language draws the chart again.
  }, [props.periods, props.values, props.maxValue, props.kind, props.formatValue, locale.value]);

  return (
    <div
      class="admin-chart"
      ref={box}
      role="img"
      aria-label={props.label}
      aria-describedby={props.describedBy}
    />
  );
}
