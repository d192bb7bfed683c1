export { DEFAULT_IMAGE, BASE_IMAGE, IMAGE_ENV, IMAGE_WORKDIR, imageExists } from './default-image.js';
export { buildDefaultImage } from './build-image.js';
export type { BuildDefaultImageOptions, BuildDefaultImageResult } from './build-image.js';
export { DEBOOTSTRAP_PACKAGES } from './debootstrap-build.js';
export { DEFAULT_DEBIAN_MIRROR, readDebianMirror } from './debian-mirror.js';
export { findPackageRoot, dockerAssetsDir } from './package-root.js';
export type { BuildStatus } from './build-progress.js';
