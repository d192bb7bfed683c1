import { inject } from 'vitest';

/** Whether Docker integration tests run here (always true in CI, where its absence fails setup). */
export const dockerReady = (): boolean => inject('docker');
