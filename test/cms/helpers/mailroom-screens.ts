// The steps both CMS suites take on mailroom's admin screens, which are the same in Strapi and in
// Payload once the CMS has logged in and opened them: the Overview's chain and doctor, and the
// test email form. Each CMS's own steps (its login form, its nav) stay in its suite.
import type { Page } from 'playwright-core';

/** On the Overview: the chain names the sink's endpoint, and the doctor's check of it passes. */
export async function verifyFromOverview(page: Page, sinkPort: number): Promise<void> {
  await page.getByRole('heading', { name: 'Chain' }).waitFor({ timeout: 60_000 });
  await page.getByText(`127.0.0.1:${sinkPort} STARTTLS`).waitFor();
  await page.getByRole('heading', { name: 'Doctor' }).waitFor();
  await page.getByRole('button', { name: 'Verify the connection now' }).click();
  await page.getByText('smtp: connection and credentials OK').waitFor();
}

/** Opens the Test email screen and sends one to `to`; resolves when the screen says it was delivered. */
export async function sendTestEmail(page: Page, to: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Mailroom' }).getByRole('button', { name: 'Test email' }).click();
  await page.getByRole('textbox', { name: /Send to/ }).fill(to);
  await page.getByRole('button', { name: 'Send test email' }).click();
  await page.getByText(/Delivered through smtp/).waitFor();
}
