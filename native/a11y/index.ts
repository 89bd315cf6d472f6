export * from './a11y.ts';
export { accessibilityBusAddress, decodeStates, openAtspi } from './atspi.ts';
export { accessibilityEnvironment, busLauncherPath, ensureAccessibilityBus, startAccessibilityBus, withAccessibility, type AccessibilityBus } from './bus.ts';
export { FakeAccessibility, type FakeNodeSpec } from './fake.ts';
