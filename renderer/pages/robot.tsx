import { Page } from '../components/common.tsx';
import { ArmPanel } from '../components/robot-arm.tsx';
import { SteeringPanel } from '../components/robot-steering.tsx';

export function RobotPage() {
  return (
    <Page title="Robot" subtitle="Steered policies in simulation and a connected arm, with live plots.">
      <h2 style={{ fontSize: 16 }}>Policy steering</h2>
      <SteeringPanel />
      <h2 style={{ fontSize: 16, marginTop: 24 }}>Arm</h2>
      <ArmPanel />
    </Page>
  );
}
