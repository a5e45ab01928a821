import cliProgress from 'cli-progress';

export interface ProgressCounts {
  /** Units finished (successfully or not). */
  value: number;
  total: number;
  failed: number;
}

export interface Progress {
  update(counts: ProgressCounts): void;
  /** Prints a line above the bar (or between progress lines without a TTY). */
  log(message: string): void;
  stop(): void;
}

export interface ProgressOptions {
  /** e.g. "uploading" or "analysing" */
  label: string;
  /** e.g. "files" or "items" */
  unit: string;
  /** How failures are called, e.g. "refused" or "failed". */
  failedWord: string;
  stream?: NodeJS.WriteStream;
}

/**
 * A cli-progress bar on stderr: finished/total, failures, elapsed time and rate.
 * Without a TTY (CI logs, pipes) it prints a plain status line every few
 * seconds and at the end instead of redrawing one line.
 */
export function startProgress(total: number, options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const stats = `{value}/{total} ${options.unit} | {failed} ${options.failedWord} | {duration_formatted} | {rate} ${options.unit}/s`;
  const template = tty ? `${options.label} {bar} ${stats}` : `${options.label} ${stats}`;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      // The rate is worked out at each render, so it stays current between updates.
      format: (opts, params, payload: { failed: number }) => {
        const seconds = Math.max(((params.stopTime ?? Date.now()) - params.startTime) / 1000, 0.001);
        return cliProgress.Format.Formatter({ ...opts, format: template }, params, { ...payload, rate: (params.value / seconds).toFixed(1) });
      },
      barCompleteChar: '\u2588',
      barIncompleteChar: '\u2591',
      hideCursor: tty,
      // Without a TTY the last status line is already printed; no blank line after it.
      clearOnComplete: !tty,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      // Redraw on every tick, so a logged line never leaves the bar missing until the next change.
      forceRedraw: tty,
      gracefulExit: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { failed: 0 });
  let stopped = false;
  return {
    update({ value, total: newTotal, failed }) {
      if (stopped) return;
      if (newTotal !== bar.getTotal()) bar.setTotal(newTotal);
      bar.update(value, { failed });
    },
    log(message) {
      if (stopped || !tty) {
        stream.write(`${message}\n`);
        return;
      }
      // Clear the bar's line, print, and save the cursor again (ESC 7): the bar restores the saved
      // position when it stops, which must be its own line now, not the one above the message.
      stream.write(`\r\x1b[2K${message}\n\x1b7`);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
