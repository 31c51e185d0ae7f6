/**
 * Loads the dashboard's modules (Ink, React) on first use, so commands that never show it never
 * pay for them. Ink decides once, when it is first imported, whether it runs under CI (a CI or
 * CONTINUOUS_INTEGRATION variable, through is-in-ci), and there it draws nothing but the last
 * frame at exit. The dashboard is only chosen for a person at a terminal (chooseView), whose
 * shell may well carry CI=true, so Ink is imported with those variables hidden; they are put back
 * straight after, and the run's own processes see them as they were.
 */
const CI_VARIABLES = ["CI", "CONTINUOUS_INTEGRATION"] as const;

export async function loadDashboard<T>(load: () => Promise<T>): Promise<T> {
  const saved = CI_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    return await load();
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}
