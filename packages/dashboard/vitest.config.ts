import { mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.ts';

export default mergeConfig(sharedConfig, {
  test: {
    // The browser tests build the app once (if it is stale) before any file runs.
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // One Chromium at a time on a small machine.
    fileParallelism: false,
  },
});
