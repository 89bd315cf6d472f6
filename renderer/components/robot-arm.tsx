import { NotYet } from './common.tsx';

/** A connected (or simulated) arm: connection, live joints, e-stop (owned by the arm room). */
export function ArmPanel() {
  return <NotYet capability="Arm control" command="robot.arm.scan" />;
}
