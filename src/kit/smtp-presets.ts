// Connection presets for the mail systems mailroom knows by name: host, port, TLS mode and the
// sending limits each one documents (or, where a provider documents only a daily cap, a per-minute
// pace we chose to stay well under it). Used by adapters/smtp.ts (gmail://, zoho://) and
// adapters/office365.ts.
import { MailError } from '../core/errors.js';

export interface SmtpPreset {
  host: string;
  port: number;
  /** Implicit TLS (465) rather than STARTTLS (587). */
  secure: boolean;
  /** Lowest TLS version to accept. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxConnections: number;
  messagesPerMinute: number;
}

/**
 * Office 365 / Exchange Online SMTP AUTH submission: smtp.office365.com:587, STARTTLS, TLS 1.2+;
 * 3 concurrent connections and 30 messages per minute per mailbox (Microsoft: "Exchange Online
 * limits" and "SMTP AUTH throttling").
 */
export const OFFICE365_PRESET: SmtpPreset = Object.freeze({
  host: 'smtp.office365.com',
  port: 587,
  secure: false,
  minVersion: 'TLSv1.2',
  maxConnections: 3,
  messagesPerMinute: 30,
});

/**
 * Gmail / Google Workspace: smtp.gmail.com:587 STARTTLS with an app password. Google documents a
 * daily cap (500 recipients for Gmail, 2,000 for Workspace), not a per-minute one: 20 per minute
 * and 3 connections keep a burst from eating the day's quota in minutes.
 */
export const GMAIL_PRESET: SmtpPreset = Object.freeze({
  host: 'smtp.gmail.com',
  port: 587,
  secure: false,
  minVersion: 'TLSv1.2',
  maxConnections: 3,
  messagesPerMinute: 20,
});

/** Zoho Mail data centres: the account's region decides the host (a wrong one fails AUTH). */
export const ZOHO_REGIONS: Readonly<Record<string, string>> = Object.freeze({
  com: 'zoho.com',
  us: 'zoho.com',
  eu: 'zoho.eu',
  in: 'zoho.in',
  au: 'zoho.com.au',
  jp: 'zoho.jp',
  ca: 'zohocloud.ca',
  sa: 'zoho.sa',
  cn: 'zoho.com.cn',
});

/**
 * Zoho Mail: smtp.zoho.<region> for personal accounts, smtppro.zoho.<region> for organisation
 * (custom domain) accounts; 587 STARTTLS. Zoho documents daily caps per plan; 10 per minute and
 * 2 connections are our pace under the smallest of them.
 */
export function zohoPreset(region = 'com', organization = false): SmtpPreset {
  const domain = ZOHO_REGIONS[region.toLowerCase()];
  if (!domain) {
    throw new MailError('CONFIG', `unknown Zoho region "${region}": use one of ${Object.keys(ZOHO_REGIONS).join(', ')}`);
  }
  return {
    host: `${organization ? 'smtppro' : 'smtp'}.${domain}`,
    port: 587,
    secure: false,
    minVersion: 'TLSv1.2',
    maxConnections: 2,
    messagesPerMinute: 10,
  };
}
