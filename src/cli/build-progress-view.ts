import cliProgress from 'cli-progress';
import type { BuildStatus } from '../image/build-progress.js';

const LABEL: Record<BuildStatus['stage'], string> = {
  prerequisites: 'installing prerequisites',
  pull: 'pulling the base image',
  download: 'downloading packages',
  install: 'installing packages',
  setup: 'configuring the image',
  import: 'importing into Docker',
  dockerfile: 'docker build',
};

/**
 * How `hybrid-gym image build` shows a build on stderr: status lines always (a handful), and on a
 * terminal a progress bar of the current stage beneath them. stdout is left to the JSON result.
 */
export function buildProgressView(stream: NodeJS.WriteStream = process.stderr): {
  line: (text: string) => void;
  status: (s: BuildStatus) => void;
  stop: () => void;
} {
  const tty = stream.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let stage: BuildStatus['stage'] | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
    stage = undefined;
  };
  return {
    line: (text) => {
      // A line under a running bar would be drawn over: end the bar, the next count restarts it.
      stop();
      stream.write(`${text}\n`);
    },
    status: (s) => {
      if (!tty) return;
      if (s.stage !== stage) {
        stop();
        stage = s.stage;
        const counted = s.total === undefined;
        bar = new cliProgress.SingleBar(
          {
            stream,
            hideCursor: true,
            clearOnComplete: true,
            format: counted ? `  ${LABEL[s.stage]}: {value}` : `  ${LABEL[s.stage]} [{bar}] {value}/{total}`,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(s.total ?? 0, s.done);
        return;
      }
      if (s.total !== undefined) bar?.setTotal(s.total);
      bar?.update(s.done);
    },
    stop,
  };
}
