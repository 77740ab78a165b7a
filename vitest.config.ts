import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/**/*.test.ts',
      'src/**/*.test.ts',
      'gateway/**/*.test.ts',
      'devices/**/*.test.ts',
      'billing/**/*.test.ts',
      'simulators/**/*.test.ts',
    ],
    // Each file has its own database, so files may run in parallel; 2 cores keep it modest.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
