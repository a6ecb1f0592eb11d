import { fakeBackend, type DashboardBackend } from './dashboard-backend.ts';

/** The backend the browser suite runs on. */
export async function dashboardBackend(): Promise<DashboardBackend> {
  return fakeBackend();
}
