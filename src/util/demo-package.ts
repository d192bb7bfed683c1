/**
 * The demo's code: real Python that is not in the default image (the standard library is, so its
 * packages would hand the agent the answers), a small pure-Python Debian package fetched with
 * `apt-get download` and unpacked with `dpkg -x` into `<cache>/demo/<deb>/` once.
 */
export const DEMO_PACKAGE = { deb: 'python3-toolz', dir: 'usr/lib/python3/dist-packages/toolz' } as const;

/** The folder a fetch of the demo's package fills before it moves into place: `<deb>.tmp-<pid>`, beside the package's folder. */
export function demoFetchFolder(packageFolder: string, pid: number = process.pid): string {
  return `${packageFolder}.tmp-${pid}`;
}

/** Whether a name in `<cache>/demo/` is a fetch's folder ({@link demoFetchFolder}). */
export function isDemoFetchFolder(name: string): boolean {
  return name.startsWith(`${DEMO_PACKAGE.deb}.tmp-`) && /^\d+$/.test(name.slice(DEMO_PACKAGE.deb.length + 5));
}
