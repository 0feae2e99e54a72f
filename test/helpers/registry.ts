/** The test registry launcher lives in support/ (the demo and the benchmarks start it too). */
export * from '../../support/registry.ts';
