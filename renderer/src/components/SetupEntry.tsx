/**
 * On the Dashboard: first-run setup while it is open, else the "Set up Roost" link that opens it
 * again.
 */
import { OnboardingPage } from '../pages/OnboardingPage.tsx';
import { useSetup } from './SetupContext.tsx';

export function SetupEntry() {
  const { open, decided } = useSetup();
  if (open) return <OnboardingPage />;
  // Nothing until it is known whether setup shows, so the link does not flash in its place.
  if (!decided) return null;
  return (
    <p className="setup-link">
      <a href="#/setup">Set up Roost</a>{' '}
      <span className="muted">(your hardware, score, wallet and when to work)</span>
    </p>
  );
}
