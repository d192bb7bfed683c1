import createDebug from 'debug';

/** The full output of every build step (debootstrap, apt, docker build): `DEBUG=hybrid-gym:image:log` (or `hybrid-gym*`). */
export const buildLog = createDebug('hybrid-gym:image:log');

/** Where a build is, for progress bars: `done` of `total` units of `stage` (`total` unknown while counting up). */
export interface BuildStatus {
  stage: 'prerequisites' | 'pull' | 'download' | 'install' | 'setup' | 'import' | 'dockerfile';
  done: number;
  total?: number;
}

/** The two channels of a build's progress: a few status lines, and counts for a bar. */
export interface ProgressSink {
  /** A status line (a handful per build). */
  line: (text: string) => void;
  /** Counts within the current stage. */
  status: (status: BuildStatus) => void;
}

/**
 * Turns debootstrap's output (a line per package and phase: several hundred lines) into a few
 * status lines and package counts: downloading (count up), then installing (unpack and configure
 * every downloaded package: a known total). Every raw line still goes to {@link buildLog}.
 */
export class DebootstrapProgress {
  private downloaded = 0;
  private installed = 0;
  private stage: 'index' | 'download' | 'install' | 'done' = 'index';

  constructor(private readonly sink: ProgressSink) {}

  onLine(raw: string): void {
    buildLog('debootstrap: %s', raw);
    const line = raw.trim();
    if (/^I: Retrieving (?!InRelease|Release|Packages)\S+ \S+/.test(line)) {
      if (this.stage !== 'download') {
        this.stage = 'download';
        this.sink.line('debootstrap: downloading packages');
      }
      this.sink.status({ stage: 'download', done: ++this.downloaded });
    } else if (/^I: (Extracting|Installing core packages)/.test(line) && this.stage !== 'install') {
      this.stage = 'install';
      this.sink.line(`debootstrap: ${this.downloaded} packages downloaded; installing them`);
      this.sink.status({ stage: 'install', done: 0, total: this.total() });
    } else if (/^I: (Unpacking|Configuring) (?!required|the base)\S+/.test(line)) {
      this.installed = Math.min(this.installed + 1, this.total());
      this.sink.status({ stage: 'install', done: this.installed, total: this.total() });
    } else if (/^I: Base system installed successfully/.test(line)) {
      this.stage = 'done';
      this.sink.status({ stage: 'install', done: this.total(), total: this.total() });
      this.sink.line('debootstrap: base system installed');
    } else if (/^(E|W): /.test(line)) {
      // Errors and warnings are worth a line of their own.
      this.sink.line(`debootstrap: ${line}`);
    }
  }

  /** Each package is unpacked and configured once. */
  private total(): number {
    return Math.max(1, this.downloaded * 2);
  }
}
