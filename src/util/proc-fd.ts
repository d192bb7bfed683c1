/**
 * A name inside a folder held open by descriptor: the kernel resolves it against the folder that
 * was opened, even if the folder's path has been swapped for a symlink since (Linux's /proc).
 */
export const at = (dirFd: number, name: string): string => `/proc/self/fd/${dirFd}/${name}`;
