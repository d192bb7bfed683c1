/**
 * The demo's code: real Python that is not in the default image (the standard library is, so its
 * packages would hand the agent the answers), a small pure-Python Debian package fetched with
 * `apt-get download` and unpacked with `dpkg -x` into `<cache>/demo/<deb>/` once.
 */
export const DEMO_PACKAGE = { deb: 'python3-toolz', dir: 'usr/lib/python3/dist-packages/toolz' } as const;
