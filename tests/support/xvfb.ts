// The virtual display lives in native/ (the demo and the benchmarks start one too).
export { startDisplay, type VirtualDisplay } from '../../native/display/xvfb.ts';
