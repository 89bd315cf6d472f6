import { NotYet } from './common.tsx';

/** Steered policies in simulation (owned by the steering room). */
export function SteeringPanel() {
  return <NotYet capability="Policy steering" command="robot.bench" />;
}
