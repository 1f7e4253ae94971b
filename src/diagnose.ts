// The remedy catalogue: turns a failure (a MailError or any pasted text, such as an SMTP reply
// from a log) into a sentence a person can act on. Rules are tried in order; the first match wins,
// so specific codes come before the generic ones. Office 365 facts and sources: PROVIDERS.md §6-8.
import { MailError } from './errors.js';

/** What the catalogue knows about a failure. */
export interface Diagnosis {
  /** Short name of the rule that matched, e.g. "o365-smtp-auth-disabled". */
  rule: string;
  /** What the failure means. */
  meaning: string;
  /** What to do about it. */
  remedy: string;
  /** Whether retrying the same adapter can help. */
  retry: boolean;
}

interface Rule extends Diagnosis {
  /** Matched against "<smtpCode> <enhancedCode> <message>". */
  match: RegExp;
}

const ENABLE_SMTP_AUTH = 'enable it in Microsoft 365 admin center > Active users > Mail > Manage email apps > Authenticated SMTP (and for the tenant: Set-TransportConfig -SmtpClientAuthenticationDisabled $false)';
const TO_OAUTH = 'switch to OAuth2 (office365+oauth:// or graph://, see README "Office 365")';
const EXCHANGE_OAUTH_STEPS = 'register the app\'s service principal in Exchange Online (New-ServicePrincipal -AppId <client id> -ObjectId <enterprise app object id>) and grant it the mailbox (Add-MailboxPermission -Identity <mailbox> -User <service principal id> -AccessRights FullAccess)';

const RULES: Rule[] = [
  // --- Office 365 SMTP (PROVIDERS.md §8) ---
  {
    rule: 'o365-basic-auth-retired',
    match: /\b5\.7\.30\b|Basic authentication is not supported for Client Submission/i,
    meaning: 'Exchange Online no longer accepts Basic authentication (user name + password) for SMTP',
    remedy: `Basic auth for SMTP AUTH is retired for this tenant: ${TO_OAUTH}.`,
    retry: false,
  },
  {
    rule: 'o365-security-defaults',
    match: /\b5\.7\.139\b.*security defaults/i,
    meaning: 'Microsoft Entra Security Defaults block Basic authentication for this mailbox',
    remedy: `Security Defaults block SMTP Basic auth: ${TO_OAUTH}, or have an administrator replace Security Defaults with Conditional Access policies that exclude this mailbox.`,
    retry: false,
  },
  {
    rule: 'o365-conditional-access',
    match: /\b5\.7\.139\b.*(conditional access|did not meet the criteria)/i,
    meaning: 'A Conditional Access policy (e.g. "block legacy authentication") refused the sign-in',
    remedy: `A Conditional Access policy blocks this sign-in: exclude the mailbox from the legacy-authentication block, or ${TO_OAUTH}.`,
    retry: false,
  },
  {
    rule: 'o365-basic-auth-disabled',
    match: /\b5\.7\.139\b.*basic authentication is disabled/i,
    meaning: 'Basic authentication is turned off for this tenant',
    remedy: `Basic auth is disabled for the tenant: ${TO_OAUTH}, or ask an administrator to re-enable Basic auth for SMTP AUTH while you migrate.`,
    retry: false,
  },
  {
    rule: 'o365-wrong-password',
    match: /\b5\.7\.139\b.*credentials were incorrect/i,
    meaning: 'Exchange Online refused the mailbox and password',
    remedy: `The user name or password is wrong: use the full mailbox address and its current password (an account with multi-factor authentication needs an app password, where the tenant allows them), or ${TO_OAUTH}.`,
    retry: false,
  },
  {
    rule: 'o365-account-locked',
    match: /\b5\.7\.139\b.*(account (is )?locked|account has an issue)/i,
    meaning: 'Microsoft Entra ID has locked or blocked the account (too many failed sign-ins, or sign-in blocked by an administrator)',
    remedy: `The account is locked: stop sending with this password (repeated failures keep it locked), have an administrator check its sign-in logs in Microsoft Entra admin center and unlock it, then set the current password; or ${TO_OAUTH}.`,
    retry: false,
  },
  // A 5.7.57 reply often quotes the 5.7.139 that caused it: after the specific 5.7.139 variants
  // (their cause is the one to fix), before the generic 5.7.139 rule.
  {
    rule: 'o365-not-authenticated',
    match: /\b5\.7\.57\b/,
    meaning: 'The client tried to send without a successful AUTH',
    remedy: 'The session was not authenticated before MAIL FROM: give credentials (office365:// or office365+oauth://), and use port 587 with STARTTLS; Office 365 accepts no anonymous submission on smtp.office365.com. When the reply also names 5.7.139, SMTP AUTH is disabled for the mailbox: ' + ENABLE_SMTP_AUTH + '.',
    retry: false,
  },
  {
    rule: 'o365-smtp-auth-disabled',
    match: /\b5\.7\.139\b/,
    meaning: 'SMTP AUTH is disabled for this mailbox or tenant, or blocked by Security Defaults or Conditional Access',
    remedy: `SMTP AUTH is disabled for this mailbox: ${ENABLE_SMTP_AUTH}, or ${TO_OAUTH}.`,
    retry: false,
  },
  {
    rule: 'o365-bad-credentials',
    match: /\b5\.7\.3\b/,
    meaning: 'Exchange Online refused the credentials: a wrong mailbox or password, or (OAuth2) the app is not allowed on this mailbox',
    remedy: `Check that the user name is the full mailbox address and the password is current. With OAuth2 the token was valid but Exchange does not know the app: ${EXCHANGE_OAUTH_STEPS}, and grant SMTP.SendAsApp with admin consent.`,
    retry: false,
  },
  {
    rule: 'o365-send-as-throttled',
    match: /Sender throttled due to continuous send as denied/i,
    meaning: 'Too many Send As refusals: Exchange now throttles this sender',
    remedy: 'Exchange throttles this sender after repeated Send As refusals: stop sending with this From, fix the From (use the mailbox itself) or grant Send As, then wait for the block to lift.',
    retry: false,
  },
  {
    rule: 'o365-send-as-denied',
    match: /\b5\.7\.60\b|\b5\.2\.252\b|SendAsDenied/i,
    meaning: 'The From address is not the authenticated mailbox and the mailbox has no Send As right for it',
    remedy: 'Send From the authenticated mailbox, or grant it Send As on that address (Exchange admin center > Recipients > Mailboxes > Delegation > Send As; or Add-RecipientPermission). Do not retry: repeated refusals get the sender throttled.',
    retry: false,
  },
  {
    rule: 'o365-daily-quota',
    match: /SubmissionQuotaExceeded/i,
    meaning: 'The mailbox passed its 10,000 recipients per day',
    remedy: 'This mailbox reached its daily limit of 10,000 recipients: stop sending through it for the day and let the chain use another adapter, or spread the load over several mailboxes.',
    retry: false,
  },
  {
    rule: 'o365-concurrent-connections',
    match: /\b4\.3\.2\b|Concurrent connections limit/i,
    meaning: 'More than 3 connections to the same mailbox at once',
    remedy: 'Office 365 allows 3 concurrent SMTP connections per mailbox: keep maxConnections at 3 or less (across every process using this mailbox) and retry later.',
    retry: true,
  },
  {
    rule: 'o365-mailbox-full',
    match: /\b5\.2\.2\b|mailbox (is )?full/i,
    meaning: 'The recipient\'s mailbox is full',
    remedy: 'The recipient\'s mailbox is full: nothing to fix on the sending side; reach the recipient another way or try again in a few days.',
    retry: false,
  },
  {
    rule: 'o365-ip-blocked',
    match: /\b5\.7\.708\b/,
    meaning: 'Exchange Online does not accept traffic from this IP address (low reputation, typical of new tenants)',
    remedy: 'Microsoft blocks traffic from this IP for the tenant: a tenant administrator must resolve it with Microsoft support (or from another IP); meanwhile send through another adapter.',
    retry: false,
  },
  // --- Gmail / Google Workspace, Zoho ---
  {
    rule: 'gmail-app-password',
    match: /\b5\.7\.8\b.*(Username and Password not accepted|BadCredentials)|Username and Password not accepted/i,
    meaning: 'Gmail refused the user name and password (Google accepts no account password for SMTP)',
    remedy: 'Gmail wants an app password: turn on 2-Step Verification for the account, create one at myaccount.google.com/apppasswords, and use it (16 letters, no spaces) with the full Gmail address as user name. Workspace: the administrator must allow app passwords.',
    retry: false,
  },
  {
    rule: 'gmail-app-password-required',
    match: /\b5\.7\.9\b|Application-specific password required/i,
    meaning: 'The Google account has 2-Step Verification and needs an app password',
    remedy: 'Create an app password at myaccount.google.com/apppasswords and use it instead of the account password.',
    retry: false,
  },
  {
    rule: 'zoho-relay-denied',
    match: /\[zoho\].*\b553\b|Sender is not allowed to relay/i,
    meaning: 'Zoho refused the From address: it is not the account or one of its aliases',
    remedy: 'Send From the Zoho account address or one of its aliases (Zoho Mail > Settings > Mail Accounts).',
    retry: false,
  },
  {
    rule: 'zoho-auth',
    match: /\[zoho\].*\b535\b/,
    meaning: 'Zoho refused the credentials',
    remedy: 'Use the SMTP host of the account\'s data centre (zoho:// ?region=eu, in, au, jp, ca...; ?organization=true for a custom domain: smtppro), and an application-specific password when two-factor authentication is on.',
    retry: false,
  },
  // --- Microsoft identity platform (AADSTS codes) ---
  {
    rule: 'aad-invalid-secret',
    match: /AADSTS7000215\b/,
    meaning: 'The client secret is wrong: often the secret\'s ID was copied instead of its value',
    remedy: 'The client secret is wrong: in Entra admin center > App registrations > your app > Certificates & secrets, create a new secret and copy its Value (not the Secret ID) into client_secret.',
    retry: false,
  },
  {
    rule: 'aad-expired-secret',
    match: /AADSTS7000222\b/,
    meaning: 'The client secret has expired',
    remedy: 'The client secret has expired: create a new one under App registrations > your app > Certificates & secrets, update client_secret, and note the new expiry date.',
    retry: false,
  },
  {
    rule: 'aad-missing-credential',
    match: /AADSTS7000218\b/,
    meaning: 'No client secret or certificate was sent',
    remedy: 'Give the app\'s credential: client_secret, or a certificate (thumbprint + private key) registered on the app.',
    retry: false,
  },
  {
    rule: 'aad-bad-certificate',
    match: /AADSTS700027\b/,
    meaning: 'The certificate assertion was refused: the certificate is not registered on the app, or the thumbprint or key do not match',
    remedy: 'Upload the certificate\'s public part under App registrations > your app > Certificates & secrets, and use its SHA-256 thumbprint with the matching private key.',
    retry: false,
  },
  {
    rule: 'aad-consent-missing',
    match: /AADSTS65001\b|AADSTS500011\b|consent/i,
    meaning: 'The application permission has no admin consent in this tenant (or the API is unknown to it)',
    remedy: 'Grant admin consent: App registrations > your app > API permissions > add Mail.Send (Microsoft Graph) or SMTP.SendAsApp (Office 365 Exchange Online) as an Application permission, then "Grant admin consent".',
    retry: false,
  },
  {
    rule: 'aad-unknown-tenant',
    match: /AADSTS90002\b|AADSTS900023\b|AADSTS90072\b|tenant .*not found/i,
    meaning: 'The tenant does not exist or is written wrongly',
    remedy: 'Check the tenant: use the Directory (tenant) ID GUID from the app\'s Overview page, or the tenant\'s primary domain (corp.onmicrosoft.com).',
    retry: false,
  },
  {
    rule: 'aad-unknown-app',
    match: /AADSTS700016\b/,
    meaning: 'No application with this client ID exists in the tenant',
    remedy: 'Check client_id (the Application (client) ID on the app\'s Overview page) and that the app is registered in, or consented to by, this tenant.',
    retry: false,
  },
  {
    rule: 'aad-invalid-scope',
    match: /AADSTS70011\b|AADSTS1002012\b/,
    meaning: 'The requested scope is not valid for client credentials',
    remedy: 'App-only tokens need a scope ending in /.default: https://outlook.office365.com/.default for SMTP, https://graph.microsoft.com/.default for Graph.',
    retry: false,
  },
  // --- Microsoft Graph sendMail ---
  {
    rule: 'graph-access-denied',
    match: /ErrorAccessDenied|Access is denied/i,
    meaning: 'The token has no Mail.Send application permission for this mailbox',
    remedy: 'Give the app the Mail.Send application permission (Microsoft Graph) with admin consent; if an application access policy or RBAC for Applications scopes the app, add this mailbox to it.',
    retry: false,
  },
  {
    rule: 'graph-mailbox',
    match: /ErrorInvalidUser|MailboxNotEnabledForRESTAPI|ResourceNotFound/i,
    meaning: 'The mailbox does not exist, or has no Exchange Online licence',
    remedy: 'Check the mailbox (its user principal name or object id) and that it has an Exchange Online licence; shared mailboxes work, on-premises mailboxes do not.',
    retry: false,
  },
  {
    rule: 'graph-throttled',
    match: /ApplicationThrottled|MailboxConcurrency/i,
    meaning: 'Graph throttles this app on this mailbox (4 concurrent requests, 10,000 per 10 minutes)',
    remedy: 'Slow down: at most 4 concurrent sendMail calls per mailbox; wait for Retry-After.',
    retry: true,
  },
  {
    rule: 'graph-token',
    match: /InvalidAuthenticationToken/i,
    meaning: 'Graph refused the access token',
    remedy: 'The token is not for Graph or expired: request it with scope https://graph.microsoft.com/.default for the tenant that owns the mailbox.',
    retry: false,
  },
  // --- TLS and connection failures ---
  {
    rule: 'tls-encryption-required',
    match: /\b538\b|Must issue a STARTTLS command first|Encryption required/i,
    meaning: 'The server accepts AUTH only over TLS',
    remedy: 'The server wants TLS before AUTH: keep requireTLS on (the default) with port 587 and STARTTLS, or use implicit TLS on port 465 (smtps://).',
    retry: false,
  },
  {
    rule: 'tls-wrong-mode',
    match: /wrong version number|WRONG_VERSION_NUMBER|packet length too long|unknown protocol/i,
    meaning: 'Implicit TLS was used on a port that speaks plaintext first (STARTTLS)',
    remedy: 'This port expects STARTTLS, not implicit TLS: use port 587 with smtp:// (secure: false), or port 465 with smtps://.',
    retry: false,
  },
  {
    rule: 'tls-no-greeting',
    match: /Greeting never received|GREETING_TIMEOUT/i,
    meaning: 'The server sent no SMTP greeting: the port probably expects implicit TLS, or something in between swallows the connection',
    remedy: 'No SMTP greeting: port 465 expects implicit TLS (smtps:// or secure: true), port 587 STARTTLS (smtp://); otherwise a firewall or proxy holds the connection.',
    retry: false,
  },
  {
    rule: 'tls-certificate',
    match: /certificate|self[- ]signed|unable to verify|Hostname\/IP does not match|ERR_TLS_CERT/i,
    meaning: 'The server\'s TLS certificate could not be verified',
    remedy: 'Check that the host name matches the server certificate (connect by name, not IP, or set tls.servername); for a private CA pass its PEM as tls.ca (SMTP) or trust it process-wide with NODE_EXTRA_CA_CERTS=/path/ca.pem (HTTPS and the identity platform too). Do not turn verification off on the Internet.',
    retry: false,
  },
  {
    rule: 'tls-starttls-refused',
    match: /STARTTLS/,
    meaning: 'The server does not offer or refused STARTTLS, so mailroom would not send credentials or mail in plaintext',
    remedy: 'The server did not upgrade to TLS (STARTTLS missing or refused): use the right port (587 STARTTLS, 465 smtps://), enable TLS on the server, or for a smart host on a trusted network set requireTLS=false.',
    retry: false,
  },
  {
    rule: 'connection-refused',
    match: /ECONNREFUSED/,
    meaning: 'Nothing accepts connections at this host and port',
    remedy: 'Nothing listens at this host and port: check both (SMTP submission: 587 with STARTTLS, 465 with smtps://; many clouds block outbound port 25).',
    retry: true,
  },
  {
    rule: 'connection-dns',
    match: /ENOTFOUND|EAI_AGAIN|\bEDNS\b/,
    meaning: 'The host name does not resolve',
    remedy: 'The host name does not resolve: check its spelling and this machine\'s DNS.',
    retry: true,
  },
  {
    rule: 'connection-timeout',
    match: /Connection timeout|CONNECT_TIMEOUT|ETIMEDOUT/,
    meaning: 'The connection could not be opened in time',
    remedy: 'The connection timed out: a firewall probably drops this port (outbound 25 and 587 are often blocked); check the host, port and egress rules.',
    retry: true,
  },
  // --- identity platform not reached (after the rules above, which name the cause when it is known) ---
  {
    rule: 'aad-authority-unreachable',
    match: /endpoints_resolution_error/,
    meaning: 'msal could not read the tenant\'s metadata from the identity platform',
    remedy: 'The identity platform did not answer: check the authority (default https://login.microsoftonline.com) and the tenant, and that this machine reaches the authority over HTTPS (proxy, firewall; a private CA trusted through NODE_EXTRA_CA_CERTS).',
    retry: true,
  },
  {
    rule: 'aad-authority-insecure',
    match: /authority_uri_insecure/,
    meaning: 'The authority is not an https:// URL',
    remedy: 'msal talks to the identity platform only over HTTPS: give the authority as https://host[:port] (a local test server needs a certificate, trusted through NODE_EXTRA_CA_CERTS).',
    retry: false,
  },
  // --- generic SMTP authentication, then the sender domain ---
  {
    rule: 'smtp-auth-failed',
    match: /^535\b|\b535 /,
    meaning: 'The server refused the user name and password',
    remedy: 'Check the user name (usually the full mailbox address) and the password; some providers need an app password when 2-step verification is on.',
    retry: false,
  },
  {
    rule: 'onmicrosoft-sender',
    // An address, not the bare domain: tenants are often named corp.onmicrosoft.com, and a token
    // error that names the tenant is not about the sender.
    match: /@[\w.-]+\.onmicrosoft\.com\b/i,
    meaning: 'The sender address is on the tenant\'s default onmicrosoft.com domain',
    remedy: 'Mail from an onmicrosoft.com address is often filtered as junk and is rate-limited by Microsoft: add your own domain to the tenant, publish SPF, DKIM and DMARC for it, and send from that domain.',
    retry: false,
  },
  // --- last resort: what any server's reply code says (RFC 5321 reply classes, RFC 3463 codes) ---
  {
    rule: 'smtp-recipient-unknown',
    match: /\b5\.1\.(1|10)\b|\b55[03]\b.*\b(user unknown|no such user|does not exist|recipient not found|unknown recipient)/i,
    meaning: 'The recipient\'s mailbox does not exist at that domain',
    remedy: 'Check the recipient address for typos; the receiving server says there is no such mailbox, so retrying or another adapter will not help.',
    retry: false,
  },
  {
    rule: 'smtp-relay-denied',
    match: /relay(ing)? (access )?(denied|not permitted)|unable to relay|\b5\.7\.1\b.*\brelay/i,
    meaning: 'The server does not relay mail for this client to outside domains',
    remedy: 'Authenticate (give a user and password, or OAuth2) or, for a smart host, add this machine\'s IP address to the server\'s or connector\'s allowed relay list.',
    retry: false,
  },
  {
    rule: 'smtp-policy-rejected',
    match: /\b5\.7\.\d{1,3}\b|^554\b|\b554 /,
    meaning: 'The server refused the message by policy: a spam filter, the sender\'s reputation or a missing permission',
    remedy: 'Read the server\'s text for the reason; check that the From domain publishes SPF, DKIM and DMARC that match this sending service, and that the sender may send as that address.',
    retry: false,
  },
  {
    rule: 'smtp-temporary',
    match: /^4\d\d\b|\b4\d\d [45]\.|\b4\.\d{1,3}\.\d{1,3}\b/,
    meaning: 'A temporary failure: the server asks the client to try again later (busy, throttled or greylisting)',
    remedy: 'Nothing to fix yet: mailroom retries with backoff and then tries the next adapter. If it persists, check the provider\'s status page and your sending rate.',
    retry: true,
  },
];

/** Looks a failure text up in the catalogue. */
export function explain(text: string): Diagnosis | undefined {
  const rule = RULES.find((candidate) => candidate.match.test(text));
  if (!rule) return undefined;
  const { match: _match, ...diagnosis } = rule;
  return diagnosis;
}

/** Adds a remedy to the error when the catalogue knows one and the error has none yet. */
export function diagnose(error: MailError): MailError {
  if (error.remedy) return error;
  const diagnosis = explain([error.smtpCode, error.enhancedCode, error.message].filter(Boolean).join(' '));
  if (diagnosis) error.remedy = diagnosis.remedy;
  return error;
}

/**
 * Advice about a sender address that works today but is likely to be filtered: an address on a
 * tenant's onmicrosoft.com domain. Adapters put it in `SendReceipt.warnings`.
 */
export function senderAdvice(address: string): string | undefined {
  if (!/@[^@]*\.onmicrosoft\.com$/i.test(address)) return undefined;
  return `${address} is on an onmicrosoft.com domain: ${RULES.find((r) => r.rule === 'onmicrosoft-sender')!.remedy}`;
}
