// The remedy catalogue, the one home of what a failure text means: turns a failure (a MailError or
// any pasted text, such as an SMTP reply or a provider's error body from a log) into the MailError
// code it gets, what it means and a sentence a person can act on. Adapters keep the decisions that
// need the protocol (HTTP status, SMTP reply class and phase) and take the rest from here: the
// remedy of every error, and the code where the text alone settles it (`decides`). Rules are tried
// in order; the first match wins, so specific texts come before generic ones. Sources: PROVIDERS.md,
// and the strings with their addresses in test/fixtures/error-strings.json.
// A value import although errors.ts imports this file: each reads the other only inside functions.
import { MailError, toMailError, type MailErrorCode } from './errors.js';

/** What the catalogue knows about a failure. */
export interface Diagnosis {
  /** Short name of the rule that matched, e.g. "o365-smtp-auth-disabled". */
  rule: string;
  /** The MailError code this failure gets, and so what the chain does (README "Errors"). */
  code: MailErrorCode;
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
  /**
   * The text alone settles the code, whatever the HTTP status or SMTP reply class would say
   * (e.g. Graph's MailboxNotEnabledForRESTAPI is a 404, but no message can fix it: AUTH).
   */
  decides?: boolean;
}

const ENABLE_SMTP_AUTH = 'enable it in Microsoft 365 admin center > Active users > Mail > Manage email apps > Authenticated SMTP (and for the tenant: Set-TransportConfig -SmtpClientAuthenticationDisabled $false)';
const TO_OAUTH = 'switch to OAuth2 (office365+oauth:// or graph://, see README "Office 365")';
const EXCHANGE_OAUTH_STEPS = 'register the app\'s service principal in Exchange Online (New-ServicePrincipal -AppId <client id> -ObjectId <enterprise app object id>) and grant it the mailbox (Add-MailboxPermission -Identity <mailbox> -User <service principal id> -AccessRights FullAccess)';
const SEND_AS = 'Send From the authenticated mailbox, or grant it Send As on that address (Exchange admin center > Recipients > Mailboxes > Delegation > Send As; or Add-RecipientPermission). Do not retry: repeated refusals get the sender throttled.';
const NEXT_ADAPTER = 'the chain sends through the next adapter meanwhile';

const RULES: Rule[] = [
  // --- mailroom's own refusals that a first-time user meets ---
  // A setup mistake named by our own check (adapters/smtp.ts): before the TLS rules its message would also match.
  {
    rule: 'smtps-on-starttls-port', code: 'CONFIG',
    match: /asks for implicit TLS \(smtps:\/\/\) on port \d+, where the server expects STARTTLS/,
    meaning: 'smtps:// (TLS from the first byte) on a port whose server greets in plain text and upgrades with STARTTLS (587, 25)',
    remedy: 'Ports 587 and 25 use STARTTLS: write smtp://user:pass@host:587 (mailroom upgrades with STARTTLS and requires it by default), or smtps://user:pass@host:465 for implicit TLS (README "Gmail, Zoho, any SMTP server, smart hosts").',
    retry: false,
  },
  {
    rule: 'outbox-not-writable', code: 'CONFIG',
    match: /cannot (?:create|write to) the outbox folder/,
    meaning: 'the outbox adapter cannot create or write its folder (a read-only disk, its permissions): it stays so until someone fixes it',
    remedy: 'Point the outbox at a folder this process can write (outbox:///var/spool/myapp/outbox, or run where the working directory is writable), or set MAILROOM_DSN to a provider to deliver the mail instead.',
    retry: false,
  },
  {
    rule: 'missing-sender', code: 'INVALID_MESSAGE',
    match: /"from" is missing/,
    meaning: 'The message has no sender and the mailer has no default sender',
    remedy: 'Give a sender: --from "Shop <shop@example.com>" on the command line, MAILROOM_FROM in the environment, or "from" in mailroom.config.json (the `from` option of createMailer in code).',
    retry: false,
  },
  // --- Office 365 SMTP (PROVIDERS.md §8) ---
  {
    rule: 'o365-basic-auth-retired', code: 'AUTH', decides: true,
    match: /\b5\.7\.30\b|Basic authentication is not supported for Client Submission/i,
    meaning: 'Exchange Online no longer accepts Basic authentication (user name + password) for SMTP',
    remedy: `Basic auth for SMTP AUTH is retired for this tenant: ${TO_OAUTH}.`,
    retry: false,
  },
  {
    rule: 'o365-security-defaults', code: 'AUTH',
    match: /\b5\.7\.139\b.*security defaults/i,
    meaning: 'Microsoft Entra Security Defaults block Basic authentication for this mailbox',
    remedy: `Security Defaults block SMTP Basic auth: ${TO_OAUTH}, or have an administrator replace Security Defaults with Conditional Access policies that exclude this mailbox.`,
    retry: false,
  },
  {
    rule: 'o365-conditional-access', code: 'AUTH',
    match: /\b5\.7\.139\b.*(conditional access|did not meet the criteria)/i,
    meaning: 'A Conditional Access policy (e.g. "block legacy authentication") refused the sign-in',
    remedy: `A Conditional Access policy blocks this sign-in: exclude the mailbox from the legacy-authentication block, or ${TO_OAUTH}.`,
    retry: false,
  },
  {
    rule: 'o365-basic-auth-disabled', code: 'AUTH',
    match: /\b5\.7\.139\b.*basic authentication is disabled/i,
    meaning: 'Basic authentication is turned off for this tenant',
    remedy: `Basic auth is disabled for the tenant: ${TO_OAUTH}, or ask an administrator to re-enable Basic auth for SMTP AUTH while you migrate.`,
    retry: false,
  },
  {
    rule: 'o365-wrong-password', code: 'AUTH',
    match: /\b5\.7\.139\b.*credentials were incorrect/i,
    meaning: 'Exchange Online refused the mailbox and password',
    remedy: `The user name or password is wrong: use the full mailbox address and its current password (an account with multi-factor authentication needs an app password, where the tenant allows them), or ${TO_OAUTH}.`,
    retry: false,
  },
  {
    rule: 'o365-account-locked', code: 'AUTH',
    match: /\b5\.7\.139\b.*(account (is )?locked|account has an issue)/i,
    meaning: 'Microsoft Entra ID has locked or blocked the account (too many failed sign-ins, or sign-in blocked by an administrator)',
    remedy: `The account is locked: stop sending with this password (repeated failures keep it locked), have an administrator check its sign-in logs in Microsoft Entra admin center and unlock it, then set the current password; or ${TO_OAUTH}.`,
    retry: false,
  },
  // A 5.7.57 reply often quotes the 5.7.139 that caused it: after the specific 5.7.139 variants
  // (their cause is the one to fix), before the generic 5.7.139 rule.
  {
    rule: 'o365-not-authenticated', code: 'AUTH',
    match: /\b5\.7\.57\b/,
    meaning: 'The client tried to send without a successful AUTH',
    remedy: 'The session was not authenticated before MAIL FROM: give credentials (office365:// or office365+oauth://), and use port 587 with STARTTLS; Office 365 accepts no anonymous submission on smtp.office365.com. When the reply also names 5.7.139, SMTP AUTH is disabled for the mailbox: ' + ENABLE_SMTP_AUTH + '.',
    retry: false,
  },
  {
    rule: 'o365-smtp-auth-disabled', code: 'AUTH',
    match: /\b5\.7\.139\b/,
    meaning: 'SMTP AUTH is disabled for this mailbox or tenant, or blocked by Security Defaults or Conditional Access',
    remedy: `SMTP AUTH is disabled for this mailbox: ${ENABLE_SMTP_AUTH}, or ${TO_OAUTH}.`,
    retry: false,
  },
  {
    rule: 'o365-bad-credentials', code: 'AUTH',
    match: /\b5\.7\.3\b/,
    meaning: 'Exchange Online refused the credentials: a wrong mailbox or password, or (OAuth2) the app is not allowed on this mailbox',
    remedy: `Check that the user name is the full mailbox address and the password is current. With OAuth2 the token was valid but Exchange does not know the app: ${EXCHANGE_OAUTH_STEPS}, and grant SMTP.SendAsApp with admin consent.`,
    retry: false,
  },
  {
    rule: 'o365-send-as-throttled', code: 'REJECTED', decides: true,
    match: /Sender throttled due to continuous send as denied/i,
    meaning: 'Too many Send As refusals: Exchange now throttles this sender',
    remedy: 'Exchange throttles this sender after repeated Send As refusals: stop sending with this From, fix the From (use the mailbox itself) or grant Send As, then wait for the block to lift.',
    retry: false,
  },
  // Exchange's Send As refusal, over SMTP (5.7.60, 5.2.252, SendAsDeniedException) and Graph
  // (403 ErrorSendAsDenied): REJECTED, so the same From is not pushed at once through the next
  // adapter (PROVIDERS.md §8: repeated refusals get the sender throttled).
  {
    rule: 'o365-send-as-denied', code: 'REJECTED', decides: true,
    match: /\b5\.7\.60\b|\b5\.2\.252\b|SendAsDenied|does not have the right to send mail on behalf of/i,
    meaning: 'The From address is not the authenticated mailbox and the mailbox has no Send As right for it',
    remedy: SEND_AS,
    retry: false,
  },
  {
    rule: 'o365-daily-quota', code: 'RATE_LIMITED', decides: true,
    match: /SubmissionQuotaExceeded/i,
    meaning: 'The mailbox passed its 10,000 recipients per day: a limit that resets within 24 hours, not a final refusal',
    remedy: `This mailbox reached its daily limit of 10,000 recipients: do not retry it today (${NEXT_ADAPTER}); it can send again once the 24-hour window has passed. Spread the load over several mailboxes if this recurs.`,
    retry: false,
  },
  {
    rule: 'o365-concurrent-connections', code: 'RATE_LIMITED',
    match: /\b4\.3\.2\b|Concurrent connections limit/i,
    meaning: 'More than 3 connections to the same mailbox at once',
    remedy: 'Office 365 allows 3 concurrent SMTP connections per mailbox: keep maxConnections at 3 or less (across every process using this mailbox) and retry later.',
    retry: true,
  },
  // The sending mailbox, not the recipient's: Exchange stores every submitted message in Sent Items
  // (PROVIDERS.md §8 O4), so a full mailbox refuses every message from it.
  {
    rule: 'o365-sender-mailbox-full', code: 'AUTH', decides: true,
    match: /STOREDRV\.Submission\.Exception:QuotaExceededException/i,
    meaning: 'The sending mailbox is full: Exchange Online keeps every message sent over SMTP in its Sent Items, and a full mailbox can send nothing',
    remedy: `The sending mailbox is full: empty its Sent Items (Exchange keeps each message sent over SMTP there) and give the folder a retention policy that deletes old items, or use a bigger mailbox; ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'o365-mailbox-full', code: 'REJECTED',
    match: /\b5\.2\.2\b|mailbox (is )?full/i,
    meaning: 'The recipient\'s mailbox is full',
    remedy: 'The recipient\'s mailbox is full: nothing to fix on the sending side; reach the recipient another way or try again in a few days.',
    retry: false,
  },
  {
    rule: 'o365-ip-blocked', code: 'AUTH', decides: true,
    match: /\b5\.7\.708\b/,
    meaning: 'Exchange Online does not accept traffic from this IP address (low reputation, typical of new tenants)',
    remedy: `Microsoft blocks traffic from this IP for the tenant: a tenant administrator must resolve it with Microsoft support (or from another IP); ${NEXT_ADAPTER}.`,
    retry: false,
  },
  // --- Gmail / Google Workspace (support.google.com/a/answer/3726730) ---
  // Google's meanings ride on its 534 reply or its text: an enhanced code alone is any server's
  // (5.7.9 is also a policy refusal elsewhere, 5.4.6 a routing loop, RFC 3463).
  {
    rule: 'gmail-app-password', code: 'AUTH',
    match: /\b5\.7\.8\b.*(Username and Password not accepted|BadCredentials)|Username and Password not accepted/i,
    meaning: 'Gmail refused the user name and password (Google accepts no account password for SMTP)',
    remedy: 'Gmail wants an app password: turn on 2-Step Verification for the account, create one at myaccount.google.com/apppasswords, and use it (16 letters, no spaces) with the full Gmail address as user name. Workspace: the administrator must allow app passwords.',
    retry: false,
  },
  {
    rule: 'gmail-app-password-required', code: 'AUTH',
    match: /\b534[ -]5\.7\.9\b|Application-specific password required/i,
    meaning: 'The Google account has 2-Step Verification and needs an app password',
    remedy: 'Create an app password at myaccount.google.com/apppasswords and use it instead of the account password.',
    retry: false,
  },
  {
    rule: 'gmail-web-login', code: 'AUTH',
    match: /\b534[ -]5\.7\.14\b|log in (via|with) your web browser/i,
    meaning: 'Google blocked the sign-in as suspicious and wants a browser sign-in first',
    remedy: 'Sign in to the account once in a browser (from the same network if you can) and confirm the blocked sign-in, then use an app password (myaccount.google.com/apppasswords) for SMTP.',
    retry: false,
  },
  {
    rule: 'smtp-too-many-logins', code: 'RATE_LIMITED', decides: true,
    match: /Too many login attempts/i,
    meaning: 'The server throttles sign-ins: too many AUTH in a short time (typically one login per message)',
    remedy: 'Sign in less often: reuse connections (pool: true, one login for many messages) and send fewer messages per minute (messagesPerMinute on the adapter, or ?messagesPerMinute= in its DSN); mailroom waits and retries meanwhile.',
    retry: true,
  },
  {
    rule: 'gmail-daily-limit', code: 'RATE_LIMITED', decides: true,
    match: /\b5\.4\.5\b|Daily (user )?sending (limit|quota) exceeded|DailyLimitExceeded/i,
    meaning: 'The account reached its daily sending limit (Gmail: about 500 recipients a day, Workspace 2,000, over a rolling 24 hours)',
    remedy: `The account's daily sending limit is used up: do not retry it until the rolling 24-hour window frees up (${NEXT_ADAPTER}); send bulk mail through an email API instead of a mailbox.`,
    retry: false,
  },
  {
    rule: 'gmail-unauthenticated-sender', code: 'REJECTED',
    match: /\b5\.7\.26\b|sender is unauthenticated|\b5\.7\.27\b/i,
    meaning: 'The receiving server found no valid SPF or DKIM for the From domain',
    remedy: 'Publish SPF and DKIM for the From domain that match this sending service (and a DMARC policy), or send from a domain that has them.',
    retry: false,
  },
  // --- Zoho Mail and ZeptoMail ---
  {
    rule: 'zoho-relay-denied', code: 'REJECTED',
    match: /\[zoho\].*\b553\b|Sender is not allowed to relay|Relaying disallowed/i,
    meaning: 'Zoho refused the From address: it is not the account or one of its aliases (or, on ZeptoMail, not a verified domain)',
    remedy: 'Send From the Zoho account address or one of its aliases (Zoho Mail > Settings > Mail Accounts); on ZeptoMail, From must be on a verified domain.',
    retry: false,
  },
  {
    rule: 'zoho-sending-blocked', code: 'AUTH', decides: true,
    match: /Unusual sending activity|Sender Address Blocked/i,
    meaning: 'Zoho blocked outgoing mail for the account after unusual sending activity (bounces, volume, many recipients)',
    remedy: `Zoho blocked outgoing mail for this account: an administrator can unblock it in the Zoho Mail admin console > Troubleshoot > Blocked accounts after changing the password, or ask Zoho support (1 to 5 business days); ${NEXT_ADAPTER}. Send bulk mail through an email API, not a mailbox.`,
    retry: false,
  },
  {
    rule: 'zoho-auth', code: 'AUTH',
    match: /\[zoho\].*\b535\b/,
    meaning: 'Zoho refused the credentials',
    remedy: 'Use the SMTP host of the account\'s data centre (zoho:// ?region=eu, in, au, jp, ca...; ?organization=true for a custom domain: smtppro), and an application-specific password when two-factor authentication is on.',
    retry: false,
  },
  // --- Microsoft identity platform (AADSTS codes) ---
  {
    rule: 'aad-invalid-secret', code: 'AUTH',
    match: /AADSTS7000215\b/,
    meaning: 'The client secret is wrong: often the secret\'s ID was copied instead of its value, or the value was mangled on its way into the configuration',
    remedy: 'The client secret is wrong: in Entra admin center > App registrations > your app > Certificates & secrets, copy the secret\'s Value (not the Secret ID) into client_secret, or create a new one. If the Value is right it was mangled on the way: in a DSN query a "+" becomes a space, so percent-encode the secret (+ as %2B, / as %2F, = as %3D, e.g. with encodeURIComponent).',
    retry: false,
  },
  {
    rule: 'aad-expired-secret', code: 'AUTH',
    match: /AADSTS7000222\b/,
    meaning: 'The client secret has expired',
    remedy: 'The client secret has expired: create a new one under App registrations > your app > Certificates & secrets, update client_secret, and note the new expiry date.',
    retry: false,
  },
  {
    rule: 'aad-missing-credential', code: 'AUTH',
    match: /AADSTS7000218\b|AADSTS90014\b.*client_(secret|assertion)/,
    meaning: 'No client secret or certificate was sent',
    remedy: 'Give the app\'s credential: client_secret, or a certificate (thumbprint + private key) registered on the app.',
    retry: false,
  },
  {
    rule: 'aad-bad-certificate', code: 'AUTH',
    match: /AADSTS700027\b/,
    meaning: 'The certificate assertion was refused: the certificate is not registered on the app, or the thumbprint or key do not match',
    remedy: 'Upload the certificate\'s public part under App registrations > your app > Certificates & secrets, and use its SHA-256 thumbprint with the matching private key.',
    retry: false,
  },
  // Before the consent rule: AADSTS700016's text says "...or consented to by any user in the tenant".
  {
    rule: 'aad-unknown-app', code: 'AUTH',
    match: /AADSTS700016\b/,
    meaning: 'No application with this client ID exists in the tenant the token was asked from',
    remedy: 'Check client_id (the Application (client) ID on the app\'s Overview page) and the tenant: the app must be registered in, or consented to by, the tenant named in the DSN host (a wrong tenant ID gives this error too).',
    retry: false,
  },
  {
    rule: 'aad-unknown-resource', code: 'AUTH',
    match: /AADSTS500011\b|resource principal named .* was not found in the tenant/i,
    meaning: 'The API the token was asked for does not exist in this tenant: a wrong scope, or a tenant without Exchange Online',
    remedy: 'Check the scope: https://outlook.office365.com/.default for SMTP, https://graph.microsoft.com/.default for Graph (no typo, no trailing path), and that the tenant has Exchange Online (a tenant without an Exchange Online subscription has no such resource).',
    retry: false,
  },
  {
    rule: 'aad-consent-missing', code: 'AUTH',
    match: /AADSTS65001\b|AADSTS650052\b|has not consented/i,
    meaning: 'The application permission has no admin consent in this tenant',
    remedy: 'Grant admin consent: App registrations > your app > API permissions > add Mail.Send (Microsoft Graph) or SMTP.SendAsApp (Office 365 Exchange Online) as an Application permission, then "Grant admin consent".',
    retry: false,
  },
  {
    rule: 'aad-unknown-tenant', code: 'AUTH',
    match: /AADSTS90002\b|AADSTS900023\b|AADSTS90072\b|tenant .*not found/i,
    meaning: 'The tenant does not exist or is written wrongly',
    remedy: 'Check the tenant: use the Directory (tenant) ID GUID from the app\'s Overview page, or the tenant\'s primary domain (corp.onmicrosoft.com).',
    retry: false,
  },
  {
    rule: 'aad-invalid-scope', code: 'AUTH',
    match: /AADSTS70011\b|AADSTS1002012\b/,
    meaning: 'The requested scope is not valid for client credentials',
    remedy: 'App-only tokens need a scope ending in /.default: https://outlook.office365.com/.default for SMTP, https://graph.microsoft.com/.default for Graph.',
    retry: false,
  },
  // A user sign-in, never mailroom's own (app-only) token request: Entra's sign-in logs give this
  // code for a refused SMTP basic auth (office365://), which is where an administrator finds it.
  {
    rule: 'aad-wrong-user-password', code: 'AUTH',
    match: /AADSTS50126\b/,
    meaning: 'Microsoft Entra ID refused a user name and password: for SMTP, the mailbox and password of office365:// (basic auth)',
    remedy: `The mailbox or its password is wrong: use the full mailbox address and its current password (an account with multi-factor authentication needs an app password, where the tenant allows them), or ${TO_OAUTH}. Repeated failures lock the account.`,
    retry: false,
  },
  {
    rule: 'aad-interactive-policy', code: 'AUTH',
    match: /AADSTS(50076|50079|53003)\b/,
    meaning: 'A sign-in policy (multi-factor authentication or Conditional Access) asks for something a server cannot give',
    remedy: `A user sign-in hit a multi-factor or Conditional Access policy: a server should not sign in as a user; use app-only OAuth2 (${TO_OAUTH}) with a client secret or certificate, or have an administrator exclude the workload from the policy.`,
    retry: false,
  },
  // --- Microsoft Graph sendMail ---
  {
    rule: 'graph-access-denied', code: 'AUTH',
    match: /ErrorAccessDenied|Access is denied|NoPermissionsInAccessToken/i,
    meaning: 'The token has no Mail.Send application permission for this mailbox',
    remedy: 'Give the app the Mail.Send application permission (Microsoft Graph; Application, not Delegated) with admin consent; if an application access policy or RBAC for Applications scopes the app, add this mailbox to it.',
    retry: false,
  },
  // A 404 for the sending mailbox refuses every message, not this one: AUTH moves to the next adapter.
  {
    rule: 'graph-mailbox', code: 'AUTH', decides: true,
    match: /ErrorInvalidUser|MailboxNotEnabledForRESTAPI|REST API is not yet supported for this mailbox|\bResourceNotFound\b/i,
    meaning: 'The sending mailbox does not exist, or has no Exchange Online licence (inactive, soft-deleted, guest or on-premises)',
    remedy: 'Check the mailbox (its user principal name or object id) and that it has an Exchange Online licence; shared mailboxes work, guest, soft-deleted and on-premises mailboxes do not.',
    retry: false,
  },
  {
    rule: 'graph-throttled', code: 'RATE_LIMITED',
    match: /ApplicationThrottled|MailboxConcurrency/i,
    meaning: 'Graph throttles this app on this mailbox (4 concurrent requests, 10,000 per 10 minutes)',
    remedy: 'Slow down: at most 4 concurrent sendMail calls per mailbox; wait for Retry-After.',
    retry: true,
  },
  {
    rule: 'graph-token', code: 'AUTH',
    match: /InvalidAuthenticationToken/i,
    meaning: 'Graph refused the access token',
    remedy: 'The token is not for Graph or expired: request it with scope https://graph.microsoft.com/.default for the tenant that owns the mailbox.',
    retry: false,
  },
  // --- Brevo (PROVIDERS.md §1) ---
  {
    rule: 'brevo-key', code: 'AUTH',
    match: /\[brevo\][^\n]*\b401\b|"code"\s*:\s*"unauthorized"|Key not found|authentication not found in headers/i,
    meaning: 'Brevo refused the API key',
    remedy: 'Brevo refused the API key: create a v3 API key in Brevo > SMTP & API > API keys (an SMTP key, xsmtpsib-..., does not work with the API) and set it in brevo+api://KEY@default.',
    retry: false,
  },
  {
    rule: 'brevo-credits', code: 'AUTH', decides: true,
    match: /\[brevo\][^\n]*\b402\b|not_enough_credits|(not enough|insufficient|no) (email )?credits?/i,
    meaning: 'The Brevo account has no email credits left',
    remedy: `The Brevo account has no email credits left: add credits or change the plan in Brevo > Billing; ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'brevo-invalid-sender', code: 'REJECTED',
    match: /valid sender email required/i,
    meaning: 'Brevo found no valid sender address in the request',
    remedy: 'Give a valid From address (from, or the mailer\'s default sender) that is a validated sender in Brevo > Senders, Domains & Dedicated IPs.',
    retry: false,
  },
  // A sender Brevo has not validated refuses every message from it: the account's setup, not the message's.
  {
    rule: 'brevo-sender', code: 'AUTH', decides: true,
    match: /sender you used .* is not valid|Validate your sender|\[brevo\][^\n]*\bsender\b[^\n]*not (valid|validated|verified)/i,
    meaning: 'Brevo does not accept this sender: the address or its domain is not validated in the account',
    remedy: `Add and validate the sender address or its domain in Brevo > Senders, Domains & Dedicated IPs (authenticate the domain with its DKIM and DMARC records); ${NEXT_ADAPTER}.`,
    retry: false,
  },
  // --- Mailjet Send API v3.1 (PROVIDERS.md §2) ---
  {
    rule: 'mailjet-key', code: 'AUTH',
    match: /API key authentication\/authorization failure|\[mailjet\][^\n]*\b401\b|\bmj-00(01|15)\b/i,
    meaning: 'Mailjet refused the API key pair (wrong, expired or suspended)',
    remedy: 'Mailjet refused the key pair: check the API key and secret key in Mailjet > Account settings > API keys (mailjet+api://KEY:SECRET@default; a sub-account key needs its own secret).',
    retry: false,
  },
  {
    rule: 'mailjet-sender', code: 'AUTH', decides: true,
    match: /\bsend-000[678]\b|is not an authorized sender email address/i,
    meaning: 'Mailjet does not allow this From address: it is not a validated sender of the account',
    remedy: `Mailjet does not allow this From address: validate the sender address or its domain in Mailjet > Account settings > Senders & domains; ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'mailjet-invalid-request', code: 'REJECTED',
    match: /\bmj-00(0[2-9]|1[0-3])\b|\bsend-00(0[1-5]|1\d)\b/i,
    meaning: 'Mailjet refused the request as invalid (the error names the property at fault)',
    remedy: 'Fix the property Mailjet names in the error (ErrorRelatedTo), e.g. an invalid address or a too long subject; this message fails the same way on every retry.',
    retry: false,
  },
  // --- Mailgun (PROVIDERS.md §3) ---
  {
    rule: 'mailgun-authorized-recipients', code: 'AUTH', decides: true,
    match: /Sandbox subdomains are for test purposes only|Free accounts are for test purposes only|add the address to authorized recipients/i,
    meaning: 'A Mailgun sandbox domain or free plan sends only to the account\'s authorized recipients',
    remedy: `Mailgun's sandbox domain and free plan send only to authorized recipients: add your own domain (Mailgun > Sending > Domains) and send from it, or add the recipient under Account settings > Authorized recipients; ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'mailgun-domain', code: 'AUTH', decides: true,
    match: /Domain not found/i,
    meaning: 'Mailgun does not know this sending domain in this region (a domain lives in the US or the EU region only)',
    remedy: 'Check the domain under Mailgun > Sending > Domains, and its region: set region=eu in the DSN for a domain in the EU region, region=us (the default) otherwise; the domain goes after the key: mailgun+api://KEY:DOMAIN@default.',
    retry: false,
  },
  {
    rule: 'mailgun-key', code: 'AUTH',
    match: /\[mailgun\][^\n]*\b40[13]\b|\b401\b[^\n]*\bForbidden\b|details: 'Forbidden'/i,
    meaning: 'Mailgun refused the API key ("Forbidden")',
    remedy: 'Mailgun refused the API key: use a key from Mailgun > API Security (a domain sending key works only for its own domain), and the region of the domain (region=eu for EU domains).',
    retry: false,
  },
  {
    rule: 'mailgun-wrong-path', code: 'TRANSIENT',
    match: /Mailgun Magnificent API/i,
    meaning: 'Mailgun answered its home page instead of a send confirmation: the domain or base URL in the request is wrong',
    remedy: 'Mailgun answered without a send confirmation: check the domain in the DSN (mailgun+api://KEY:DOMAIN@default) and the base URL.',
    retry: false,
  },
  {
    rule: 'mailgun-rate-limited', code: 'RATE_LIMITED',
    match: /requests-per-sec limit exceeded|is not allowed to send: .*limit/i,
    meaning: 'Mailgun throttles the account or domain',
    remedy: 'Mailgun asks to slow down: mailroom waits the time it names and retries when it is short, else the next adapter sends; lower the sending rate (messagesPerMinute on the adapter, or ?messagesPerMinute= in its DSN) if this recurs.',
    retry: true,
  },
  {
    rule: 'mailgun-invalid-request', code: 'REJECTED',
    match: /parameter is not a valid address|parameter is missing|Need at least one of 'text', 'html'|Only one parameters 'html' or 'template'/i,
    meaning: 'Mailgun refused a parameter of the request (the error names it)',
    remedy: 'Fix the parameter Mailgun names (e.g. an address that is not valid); this message fails the same way on every retry.',
    retry: false,
  },
  // --- SMTP2GO (PROVIDERS.md §4) ---
  {
    rule: 'smtp2go-key', code: 'AUTH',
    match: /API_KEY_INVALID|An API User matching the passed 'api_key' was not found|\[smtp2go\][^\n]*\b401\b/i,
    meaning: 'SMTP2GO refused the API key',
    remedy: 'SMTP2GO refused the API key: create one in SMTP2GO > Sending > API Keys (it starts with api-), allow it the /email/send endpoint, and set it in smtp2go+api://KEY@default.',
    retry: false,
  },
  {
    rule: 'smtp2go-permission', code: 'AUTH', decides: true,
    match: /ENDPOINT_PERMISSION_DENIED|do not have permission to access this API endpoint/i,
    meaning: 'The SMTP2GO API key may not call this endpoint',
    remedy: 'The SMTP2GO API key may not call this endpoint: edit its permissions in SMTP2GO > Sending > API Keys and allow /email/send.',
    retry: false,
  },
  {
    rule: 'smtp2go-sender', code: 'AUTH', decides: true,
    match: /SENDER_NOT_VERIFIED|sender domain not verified|verify the sender domain/i,
    meaning: 'SMTP2GO does not accept this sender: its domain or address is not verified in the account',
    remedy: `Verify the sender domain (or the single sender address) in SMTP2GO > Sending > Verified Senders; ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'smtp2go-rate-limited', code: 'RATE_LIMITED', decides: true,
    match: /REQ_LIMIT_EXCEEDED/i,
    meaning: 'SMTP2GO throttles the API key',
    remedy: 'SMTP2GO asks to slow down: mailroom backs off and retries, then the next adapter sends; lower the sending rate if this recurs.',
    retry: true,
  },
  {
    rule: 'smtp2go-invalid-request', code: 'REJECTED',
    match: /NON_VALIDATING_IN_PAYLOAD|was expecting a valid RFC-822 formatted email/i,
    meaning: 'SMTP2GO refused a field of the request (the error names it)',
    remedy: 'Fix the field SMTP2GO names (field_validation_errors), e.g. an address that is not valid; this message fails the same way on every retry.',
    retry: false,
  },
  // --- Postmark (test/providers/SOURCES.md §1: 422 {ErrorCode, Message}) ---
  {
    rule: 'postmark-token', code: 'AUTH',
    match: /valid Server token|Postmark ErrorCode 10\)|\[postmark\][^\n]*\b401\b|X-Postmark-Server-Token/i,
    meaning: 'Postmark refused the server token',
    remedy: 'Postmark refused the token: copy a Server API token from Postmark > Servers > your server > API Tokens (the Account token does not send) and set it in postmark+api://TOKEN@default.',
    retry: false,
  },
  // A sender signature or domain not confirmed refuses every message from it: the account's setup.
  {
    rule: 'postmark-sender-signature', code: 'AUTH', decides: true,
    match: /is not a Sender Signature on your account|Sender Signature not (found|confirmed)|Postmark ErrorCode 40[01]\)/i,
    meaning: 'Postmark does not accept this From address: it is not a confirmed Sender Signature or on a verified domain',
    remedy: `Add and confirm the From address under Postmark > Sender Signatures, or verify its domain (DKIM and Return-Path records); ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'postmark-account', code: 'AUTH', decides: true,
    match: /Account is pending|Account may not send|Not allowed to send|Postmark ErrorCode 41[23]\)|Postmark ErrorCode 405\)/i,
    meaning: 'The Postmark account may not send yet (pending approval) or any more (paused or out of credits)',
    remedy: `The Postmark account may not send: finish the account approval (until then Postmark sends only to your own domain), or check Postmark > Account for a pause or credits; ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'postmark-message-stream', code: 'AUTH', decides: true,
    match: /message stream [^\n]*not found|MessageStream[^\n]*(invalid|not found|does not exist)|Postmark ErrorCode 1235\)/i,
    meaning: 'Postmark has no message stream with this ID on the server the token belongs to',
    remedy: 'Use the ID of a transactional stream of this server (Postmark > Servers > your server > Message Streams; "outbound" is the default) in ?message_stream=, or leave it out.',
    retry: false,
  },
  {
    rule: 'postmark-inactive-recipient', code: 'REJECTED', decides: true,
    match: /marked as inactive|Postmark ErrorCode 406\)/i,
    meaning: 'Every recipient is inactive at Postmark: each hard-bounced or marked a message as spam before',
    remedy: 'Postmark will not send to inactive recipients: check the address, and reactivate it under Postmark > your server > Suppressions only if the person asked for it; another provider would hit the same bounce.',
    retry: false,
  },
  {
    rule: 'postmark-invalid-request', code: 'REJECTED',
    match: /Postmark ErrorCode (300|402|403|409|411)\)|Invalid '(From|To|Cc|Bcc|Reply-?To)' address|Error parsing '(To|Cc|Bcc|Reply-?To)'|Forbidden attachment type|Zero recipients specified/i,
    meaning: 'Postmark refused the request as invalid (the message names the field)',
    remedy: 'Fix what Postmark names (an address, an attachment of a forbidden type, a body over 5 MB or a message over 10 MB); this message fails the same way on every retry.',
    retry: false,
  },
  // --- SendGrid (test/providers/SOURCES.md §2: {errors: [{message, field}]}) ---
  {
    rule: 'sendgrid-key', code: 'AUTH',
    match: /authorization grant is invalid, expired, or revoked|\[sendgrid\][^\n]*\b401\b/i,
    meaning: 'SendGrid refused the API key (wrong, deleted, or for the other region)',
    remedy: 'SendGrid refused the API key: create one with the Mail Send permission in SendGrid > Settings > API Keys and set it in sendgrid+api://KEY@default; a key of an EU regional subuser works only with ?region=eu (api.eu.sendgrid.com).',
    retry: false,
  },
  {
    rule: 'sendgrid-sender-identity', code: 'AUTH', decides: true,
    match: /does not match a verified Sender Identity/i,
    meaning: 'SendGrid does not accept this From address: it is not a verified Single Sender or on an authenticated domain',
    remedy: `Verify the From address (SendGrid > Settings > Sender Authentication > Single Sender) or authenticate its domain; ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'sendgrid-permission', code: 'AUTH',
    match: /lacks the mail\.send scope|access forbidden|\[sendgrid\][^\n]*\b403\b/i,
    meaning: 'The SendGrid API key may not send mail (no Mail Send permission), or SendGrid blocks the account',
    remedy: `Give the key the Mail Send permission (SendGrid > Settings > API Keys > Edit) or create a Restricted Access key with Mail Send; ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'sendgrid-invalid-request', code: 'REJECTED',
    match: /\(personalizations\.\d|\((from|reply_to|reply_to_list|content|subject|attachments|categories|custom_args|headers)(\.[\w.]+)?\)|You must have at least one personalization|There is a limit of 1000 total recipients|should be unique between to, cc, and bcc|If present, text\/plain/i,
    meaning: 'SendGrid refused a field of the request (the error names it)',
    remedy: 'Fix the field SendGrid names in the error (e.g. an address that is not valid, the same address twice in to/cc/bcc); this message fails the same way on every retry.',
    retry: false,
  },
  {
    rule: 'sendgrid-rate-limited', code: 'RATE_LIMITED',
    match: /"message"\s*:\s*"too many requests"|\[sendgrid\][^\n]*\b429\b/i,
    meaning: 'SendGrid throttles the API key for this endpoint',
    remedy: 'SendGrid asks to slow down: mailroom waits until the X-RateLimit-Reset time it names and retries, then the next adapter sends; lower the sending rate (messagesPerMinute on the adapter, or ?messagesPerMinute= in its DSN) if this recurs.',
    retry: true,
  },
  // --- Resend (test/providers/SOURCES.md §3: {statusCode, name, message}) ---
  {
    rule: 'resend-key', code: 'AUTH',
    match: /\b(missing_api_key|invalid_api_key)\b|API key is invalid|\[resend\][^\n]*\b401\b/i,
    meaning: 'Resend refused the API key (missing, wrong or deleted)',
    remedy: 'Resend refused the API key: create one in Resend > API Keys ("Sending access" is enough) and set it in resend+api://KEY@default.',
    retry: false,
  },
  {
    rule: 'resend-testing-domain', code: 'AUTH', decides: true,
    match: /You can only send testing emails to your own email address|verify a domain at resend\.com\/domains|domain is not verified/i,
    meaning: 'Resend sends only to the account owner until the From domain is verified',
    remedy: `Verify the sending domain in Resend > Domains (its SPF and DKIM records) and send From an address on it; ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'resend-quota', code: 'AUTH', decides: true,
    match: /\b(daily|monthly)_quota_exceeded\b/i,
    meaning: 'The Resend account has used its daily or monthly email quota',
    remedy: `The Resend quota is used up until it resets: upgrade the plan in Resend > Settings > Billing; ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'resend-rate-limited', code: 'RATE_LIMITED', decides: true,
    match: /\brate_limit_exceeded\b/i,
    meaning: 'Resend throttles the team (2 requests per second by default)',
    remedy: 'Resend asks to slow down: mailroom waits the retry-after it names and retries, then the next adapter sends; lower the sending rate (messagesPerMinute on the adapter, or ?messagesPerMinute= in its DSN) or ask Resend for a higher limit.',
    retry: true,
  },
  {
    rule: 'resend-idempotency-conflict', code: 'REJECTED', decides: true,
    match: /\binvalid_idempotent_request\b|Same idempotency key used with a different request payload/i,
    meaning: 'Resend already sent an email under this idempotency key, with other content, in the last 24 hours',
    remedy: 'An email with this idempotencyKey went out with other content in the last 24 hours: use a new idempotencyKey for new content (e.g. add a version), or check the journal for the earlier send.',
    retry: false,
  },
  {
    rule: 'resend-idempotency-busy', code: 'TRANSIENT', decides: true,
    match: /\bconcurrent_idempotent_requests\b/i,
    meaning: 'Another request with the same idempotency key is still being processed by Resend',
    remedy: 'Another send with this idempotencyKey is in progress at Resend: retry shortly; it answers the same email id once that one finishes.',
    retry: true,
  },
  {
    rule: 'resend-invalid-request', code: 'REJECTED',
    match: /\b(validation_error|missing_required_field|invalid_attachment|invalid_from_address|invalid_idempotency_key)\b|\[resend\][^\n]*\binvalid_parameter\b/i,
    meaning: 'Resend refused a field of the request (the message names it)',
    remedy: 'Fix the field Resend names (e.g. a From that is not "Name <email@example.com>", an attachment without content); this message fails the same way on every retry.',
    retry: false,
  },
  // Brevo's error codes (errorModel.code); invalid_parameter is also Resend's, named above when the
  // error says it came from Resend.
  {
    rule: 'provider-invalid-parameter', code: 'REJECTED',
    match: /\b(invalid_parameter|missing_parameter|out_of_range)\b/i,
    meaning: 'The provider refused a field of the request (Brevo\'s and Resend\'s invalid_parameter, missing_parameter, out_of_range): the message names it',
    remedy: 'Fix the field the provider names (a sender that is not a verified sender or domain, a malformed address, an attachment type it refuses); this message fails the same way on every retry.',
    retry: false,
  },
  // --- SparkPost (test/providers/SOURCES.md §4: {errors: [{message, description, code}]}) ---
  {
    rule: 'sparkpost-key', code: 'AUTH',
    match: /"message"\s*(:|=>)\s*"Unauthorized\."|\[sparkpost\][^\n]*\b401\b|SparkPost code 130[34]\)/i,
    meaning: 'SparkPost refused the API key (wrong, deleted, or of the other region)',
    remedy: 'SparkPost refused the API key: create one with "Transmissions: Read/Write" in SparkPost > Configuration > API Keys; a SparkPost EU account (app.eu.sparkpost.com) needs ?region=eu, its keys do not work on api.sparkpost.com.',
    retry: false,
  },
  {
    rule: 'sparkpost-permission', code: 'AUTH',
    match: /SparkPost code 1100\)|\[sparkpost\][^\n]*\b403\b/i,
    meaning: 'The SparkPost API key lacks a permission the request needs',
    remedy: `Give the key the "Transmissions: Read/Write" permission (SparkPost > Configuration > API Keys > Edit); ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'sparkpost-sending-domain', code: 'AUTH', decides: true,
    match: /Unconfigured or unverified sending domain|No sending domain specified|Unconfigured Sending Domain|SparkPost code 7001\)/i,
    meaning: 'The From address is not on a sending domain that is configured and verified in this SparkPost account',
    remedy: `Add and verify the From address's domain in SparkPost > Configuration > Sending Domains (in the EU app for an EU account); ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'sparkpost-sending-limit', code: 'RATE_LIMITED', decides: true,
    match: /Exceed Sending Limit|SparkPost code 210[0-9]\)/i,
    meaning: 'The SparkPost account reached its hourly, daily, monthly or sandbox sending limit (HTTP 420); nothing was sent',
    remedy: 'SparkPost refuses more mail until the limit resets: the next adapter sends meanwhile; raise the limit (plan, or add a sending domain after the sandbox) in SparkPost > Account.',
    retry: false,
  },
  {
    rule: 'sparkpost-rejected-recipients', code: 'REJECTED',
    match: /SparkPost rejected every recipient|recipient address was suppressed/i,
    meaning: 'SparkPost took the transmission but rejected all of its recipients (suppressed or invalid)',
    remedy: 'Check the recipients against SparkPost > Recipients > Suppressions; another provider would hit the same bounces.',
    retry: false,
  },
  {
    rule: 'sparkpost-invalid-request', code: 'REJECTED',
    match: /SparkPost code 1(2|3|4)0\d\)|required field is missing|invalid data format\/type\/length/i,
    meaning: 'SparkPost refused the request as invalid (the description names the field)',
    remedy: 'Fix the field SparkPost names in the description (e.g. an invalid address, an attachment name over 255 bytes); this message fails the same way on every retry.',
    retry: false,
  },
  // --- Amazon SES (PROVIDERS.md §5: error names of the v2 API, and the SMTP interface's replies) ---
  // SES words it as MessageRejected and the adapter keeps it REJECTED (the chain stops): in the
  // sandbox it is about the recipients, which no other adapter's setup can fix either.
  {
    rule: 'ses-not-verified', code: 'REJECTED', decides: true,
    match: /Email address is not verified|identities failed the check/i,
    meaning: 'SES refuses an identity that is not verified in this region: the From address or domain, or, while the account is in the SES sandbox, a recipient',
    remedy: 'Verify the From address or its domain in SES > Identities in the region you send from (verification is per region); in the SES sandbox every recipient must be verified too, until you request production access.',
    retry: false,
  },
  {
    rule: 'ses-mail-from-domain', code: 'REJECTED', decides: true,
    match: /MailFromDomainNotVerified/,
    meaning: 'The custom MAIL FROM domain of the sending identity is not verified',
    remedy: 'The custom MAIL FROM domain is not verified: check its MX and SPF records in SES > Identities > your domain > Custom MAIL FROM domain.',
    retry: false,
  },
  {
    rule: 'ses-sending-paused', code: 'AUTH', decides: true,
    match: /SendingPausedException|Sending paused for this account|AccountSuspendedException/i,
    meaning: 'SES stopped sending for this account or configuration set (usually after a review of bounce or complaint rates)',
    remedy: `Sending is paused or suspended for this SES account: read the message AWS sent to the account's e-mail address and the SES console > Reputation metrics, fix the cause and ask AWS to resume sending; ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'ses-daily-quota', code: 'RATE_LIMITED', decides: true,
    match: /Daily message quota exceeded/i,
    meaning: 'The SES account sent its 24-hour quota',
    remedy: `The SES account used its 24-hour sending quota: do not retry now (${NEXT_ADAPTER}); request a higher quota in the SES console.`,
    retry: false,
  },
  {
    rule: 'ses-throttled', code: 'RATE_LIMITED', decides: true,
    match: /Maximum sending rate exceeded|\b(Throttling|ThrottlingException|TooManyRequestsException|LimitExceededException)\b/,
    meaning: 'SES throttles the account: more messages per second than its sending rate',
    remedy: 'SES asks to slow down (the account\'s maximum send rate, 1 per second in the sandbox): mailroom backs off and retries; set messagesPerMinute (or ?messagesPerMinute= in the DSN) below the SES rate, or request a higher rate.',
    retry: true,
  },
  {
    rule: 'ses-credentials', code: 'AUTH', decides: true,
    match: /\b(UnrecognizedClientException|InvalidClientTokenId|InvalidSignatureException|SignatureDoesNotMatch|MissingAuthenticationToken(Exception)?|IncompleteSignature|ExpiredToken(Exception)?|AccessDeniedException)\b|security token included in the request is (invalid|expired)|request signature we calculated does not match/,
    meaning: 'AWS refused the credentials or their permissions',
    remedy: 'AWS refused the credentials: check the access key, the secret (percent-encode it in a DSN: + as %2B, / as %2F), the region and the IAM permissions (ses:SendEmail and ses:SendRawEmail to send, ses:GetAccount for verify).',
    retry: false,
  },
  {
    rule: 'ses-no-credentials', code: 'AUTH', decides: true,
    match: /CredentialsProviderError|Could not load credentials from any providers/,
    meaning: 'No AWS credentials were found',
    remedy: 'No AWS credentials were found: put ACCESS:SECRET in the DSN, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile or an instance role.',
    retry: false,
  },
  {
    // The AWS SDK's own words when neither the options, AWS_REGION nor a profile name a region: no
    // request was made; this adapter cannot send until it has one (another adapter can).
    rule: 'ses-no-region', code: 'AUTH', decides: true,
    match: /\bRegion is missing\b/,
    meaning: 'No AWS region was configured for the SES client',
    remedy: `No AWS region was found for SES: add ?region=eu-west-1 (your SES region) to the DSN or region to the options, or set AWS_REGION; ${NEXT_ADAPTER}.`,
    retry: false,
  },
  {
    rule: 'ses-not-found', code: 'AUTH', decides: true,
    match: /\bNotFoundException\b/,
    meaning: 'SES does not know a resource in the request, usually the configuration set',
    remedy: 'SES does not know a resource in the request, usually the configuration set: check configuration_set and the region.',
    retry: false,
  },
  {
    rule: 'ses-message-rejected', code: 'REJECTED', decides: true,
    match: /\bMessageRejected\b|\bBadRequestException\b/,
    meaning: 'SES refused this message (its content or an address), for good',
    remedy: 'SES refused this message: read the reason SES gives (an invalid address, a blocked attachment type, a message over 40 MB); this message fails the same way on every retry.',
    retry: false,
  },
  {
    rule: 'ses-internal', code: 'TRANSIENT', decides: true,
    match: /\bInternalServiceErrorException\b/,
    meaning: 'SES had an internal error',
    remedy: 'SES had an internal error: mailroom retries, then tries the next adapter; check the AWS Health Dashboard if it persists.',
    retry: true,
  },
  // --- TLS and connection failures ---
  // A server that wants TLS first (530 or 538 before AUTH) is not refusing the password: TLS is off
  // on our side. Not AUTH: the credentials were never sent.
  {
    rule: 'tls-encryption-required', code: 'TRANSIENT', decides: true,
    match: /\b538\b|Must issue a STARTTLS command first|Encryption required|STARTTLS is required|TLS required/i,
    meaning: 'The server accepts AUTH (or mail) only over TLS, and the connection is not encrypted',
    remedy: 'The server wants TLS before AUTH: keep requireTLS on (the default; remove requireTLS=false or ignoreTLS) with port 587 and STARTTLS, or use implicit TLS on port 465 (smtps://).',
    retry: false,
  },
  {
    rule: 'tls-wrong-mode', code: 'TRANSIENT',
    match: /wrong version number|WRONG_VERSION_NUMBER|packet length too long|unknown protocol/i,
    meaning: 'Implicit TLS was used on a port that speaks plaintext first (STARTTLS)',
    remedy: 'This port expects STARTTLS, not implicit TLS: use port 587 with smtp:// (secure: false), or port 465 with smtps://.',
    retry: false,
  },
  {
    rule: 'tls-no-greeting', code: 'TRANSIENT',
    match: /Greeting never received|GREETING_TIMEOUT|accepted the connection but never answered/i,
    meaning: 'The server sent no SMTP greeting: the port probably expects implicit TLS, or something in between swallows the connection',
    remedy: 'No SMTP greeting: port 465 expects implicit TLS (smtps:// or secure: true), port 587 STARTTLS (smtp://); otherwise a firewall or proxy holds the connection.',
    retry: false,
  },
  {
    rule: 'smtp-stalled', code: 'TRANSIENT',
    match: /answered, then stopped answering/,
    meaning: 'The SMTP server went silent in the middle of a session',
    remedy: 'The server stopped answering mid-session: an overloaded server, or a firewall or antivirus proxy that inspects SMTP. Try again later or through the next adapter; if it lasts, check the network path to the server (mailroom verify shows where it stops).',
    retry: false,
  },
  {
    rule: 'tls-certificate', code: 'TRANSIENT',
    match: /certificate|self[- ]signed|unable to verify|Hostname\/IP does not match|ERR_TLS_CERT|CERT_HAS_EXPIRED|SELF_SIGNED_CERT/i,
    meaning: 'The server\'s TLS certificate could not be verified',
    remedy: 'Check that the host name matches the server certificate (connect by name, not IP, or set tls.servername); for a private CA pass its PEM as tls.ca (SMTP) or trust it process-wide with NODE_EXTRA_CA_CERTS=/path/ca.pem (HTTPS and the identity platform too). An antivirus or proxy that inspects TLS shows its own certificate. Do not turn verification off on the Internet.',
    retry: false,
  },
  {
    rule: 'tls-starttls-refused', code: 'TRANSIENT',
    match: /STARTTLS/,
    meaning: 'The server does not offer or refused STARTTLS, so mailroom would not send credentials or mail in plaintext',
    remedy: 'The server did not upgrade to TLS (STARTTLS missing or refused): use the right port (587 STARTTLS, 465 smtps://), enable TLS on the server, or for a smart host on a trusted network set requireTLS=false.',
    retry: false,
  },
  {
    rule: 'connection-refused', code: 'TRANSIENT',
    match: /ECONNREFUSED/,
    meaning: 'Nothing accepts connections at this host and port',
    remedy: 'Nothing listens at this host and port: check both (SMTP submission: 587 with STARTTLS, 465 with smtps://; many clouds block outbound port 25).',
    retry: true,
  },
  {
    rule: 'connection-dns', code: 'TRANSIENT',
    match: /ENOTFOUND|EAI_AGAIN|\bEDNS\b/,
    meaning: 'The host name does not resolve',
    remedy: 'The host name does not resolve: check its spelling and this machine\'s DNS.',
    retry: true,
  },
  {
    rule: 'connection-timeout', code: 'TRANSIENT',
    match: /Connection timeout|CONNECT_TIMEOUT|ETIMEDOUT/,
    meaning: 'The connection could not be opened in time',
    remedy: 'The connection timed out: a firewall probably drops this port (outbound 25 and 587 are often blocked); check the host, port and egress rules.',
    retry: true,
  },
  // A success status whose answer could not be read (src/kit/http.ts): sent, but to whom is unknown.
  {
    rule: 'unreadable-success', code: 'AMBIGUOUS',
    match: /the provider took the request but its answer could not be read/,
    meaning: 'The provider answered with a success status, but its answer could not be read: the message may have gone out, to some or all recipients',
    remedy: 'Look the message up in the provider\'s activity log before sending it again: it may have gone out (the journal marks it as a possible duplicate).',
    retry: false,
  },
  // The connection died after the whole message was handed over: it may have been delivered.
  {
    rule: 'connection-lost-after-data', code: 'AMBIGUOUS',
    match: /while sending end of data|message may be sent more than once|after the whole message was sent|may have been delivered|may have accepted the message/i,
    meaning: 'The connection was lost after the whole message was handed over, before the server confirmed it: it may have been delivered',
    remedy: 'The message may have been delivered: check the recipient\'s inbox or the provider\'s logs before sending again. mailroom marks the journal entry possibleDuplicate and, by default, tries the next adapter (onAmbiguous: \'stop\' stops instead).',
    retry: false,
  },
  // A gateway in front of the provider timed out waiting for it (src/kit/http.ts codeForStatus):
  // the provider had the request. Not SMTP's "504 5.7.4 Unrecognized authentication type".
  {
    rule: 'http-gateway-timeout', code: 'AMBIGUOUS',
    match: /Gateway Time-?out|\b524\b[^\n]*timeout occurred|upstream request timeout/i,
    meaning: 'A gateway in front of the provider timed out waiting for it (HTTP 504, or Cloudflare\'s 524): the provider had the request and may have sent the message',
    remedy: 'Look the message up in the provider\'s activity log (Graph: the mailbox\'s Sent Items) before sending it again: it may have gone out. mailroom does not retry it at that adapter, marks the journal entry possibleDuplicate and, by default, tries the next adapter (onAmbiguous: \'stop\' stops instead).',
    retry: false,
  },
  {
    rule: 'connection-closed', code: 'TRANSIENT',
    match: /Connection (closed|unexpectedly closed)|connection unexpectedly closed|Unexpected socket close|socket hang up|ECONNRESET|other side closed/i,
    meaning: 'The server or something in between closed the connection',
    remedy: 'The connection was closed before the server answered: mailroom retries, then tries the next adapter. If it happened after the message was sent, mailroom reports AMBIGUOUS instead (it may have been delivered). If it persists, check the port and TLS mode (587 STARTTLS, 465 smtps://) and any firewall or proxy.',
    retry: true,
  },
  // --- identity platform not reached (after the rules above, which name the cause when it is known) ---
  {
    rule: 'aad-authority-unreachable', code: 'TRANSIENT',
    match: /endpoints_resolution_error/,
    meaning: 'msal could not read the tenant\'s metadata from the identity platform',
    remedy: 'The identity platform did not answer: check the authority (default https://login.microsoftonline.com) and the tenant, and that this machine reaches the authority over HTTPS (proxy, firewall; a private CA trusted through NODE_EXTRA_CA_CERTS).',
    retry: true,
  },
  {
    rule: 'aad-authority-insecure', code: 'AUTH',
    match: /authority_uri_insecure/,
    meaning: 'The authority is not an https:// URL',
    remedy: 'msal talks to the identity platform only over HTTPS: give the authority as https://host[:port] (a local test server needs a certificate, trusted through NODE_EXTRA_CA_CERTS).',
    retry: false,
  },
  // --- generic SMTP authentication, then the sender domain ---
  {
    rule: 'smtp-auth-failed', code: 'AUTH',
    match: /^535\b|\b535[ -]|Invalid login|Authentication (failed|unsuccessful)|Incorrect authentication data/i,
    meaning: 'The server refused the user name and password',
    remedy: 'Check the user name (usually the full mailbox address) and the password; some providers need an app password when 2-step verification is on.',
    retry: false,
  },
  {
    rule: 'onmicrosoft-sender', code: 'REJECTED',
    // An address, not the bare domain: tenants are often named corp.onmicrosoft.com, and a token
    // error that names the tenant is not about the sender.
    match: /@[\w.-]+\.onmicrosoft\.com\b/i,
    meaning: 'The sender address is on the tenant\'s default onmicrosoft.com domain',
    remedy: 'Mail from an onmicrosoft.com address is often filtered as junk and is rate-limited by Microsoft: add your own domain to the tenant, publish SPF, DKIM and DMARC for it, and send from that domain.',
    retry: false,
  },
  // --- last resort: what any server's reply code says (RFC 5321 reply classes, RFC 3463 codes) ---
  {
    rule: 'smtp-no-smtputf8', code: 'UNSUPPORTED',
    match: /\b5\.6\.7\b|Non-ASCII addresses not permitted|cannot carry an address whose part before "@" is not ASCII/i,
    meaning: 'The server has no SMTPUTF8: it cannot carry an address whose part before "@" is not ASCII (RFC 6531)',
    remedy: 'This server cannot carry a non-ASCII local part: put an adapter whose server announces SMTPUTF8 (smtp.gmail.com does) in the chain, or ask the recipient for an ASCII address.',
    retry: false,
  },
  {
    rule: 'smtp-recipient-unknown', code: 'REJECTED',
    match: /\b5\.1\.(1|10)\b|\b55[03]\b.*\b(user unknown|no such user|does not exist|recipient not found|unknown recipient)/i,
    meaning: 'The recipient\'s mailbox does not exist at that domain',
    remedy: 'Check the recipient address for typos; the receiving server says there is no such mailbox, so retrying or another adapter will not help.',
    retry: false,
  },
  {
    rule: 'smtp-relay-denied', code: 'REJECTED',
    match: /relay(ing)? (access )?(denied|not permitted)|unable to relay|\b5\.7\.1\b.*\brelay/i,
    meaning: 'The server does not relay mail for this client to outside domains',
    remedy: 'Authenticate (give a user and password, or OAuth2) or, for a smart host, add this machine\'s IP address to the server\'s or connector\'s allowed relay list.',
    retry: false,
  },
  {
    rule: 'smtp-policy-rejected', code: 'REJECTED',
    match: /\b5\.7\.\d{1,3}\b|^554\b|\b554 /,
    meaning: 'The server refused the message by policy: a spam filter, the sender\'s reputation or a missing permission',
    remedy: 'Read the server\'s text for the reason; check that the From domain publishes SPF, DKIM and DMARC that match this sending service, and that the sender may send as that address.',
    retry: false,
  },
  // --- generic HTTP answers, when no provider rule above knew the body ---
  {
    rule: 'http-rate-limited', code: 'RATE_LIMITED',
    match: /\b429\b|Too Many Requests|Rate limit exceeded/i,
    meaning: 'The provider throttles this account (HTTP 429)',
    remedy: 'The provider asks to slow down: mailroom honours Retry-After when it is short, else the next adapter sends; lower the sending rate (messagesPerMinute on the adapter, or ?messagesPerMinute= in its DSN) if this recurs.',
    retry: true,
  },
  {
    rule: 'http-unauthorized', code: 'AUTH',
    match: /\b401\b[^\n]*Unauthorized|Unauthorized[^\n]*\b401\b/i,
    meaning: 'The provider refused the credentials (HTTP 401)',
    remedy: 'The provider refused the API key or credentials: create a new key in the provider\'s console, put it in the DSN (percent-encoded), and run `mailroom verify`.',
    retry: false,
  },
  // A 4xx that means "slow down" rather than "something broke"; smtp-errors.ts reads this rule's
  // code for every 4xx reply.
  {
    rule: 'smtp-throttled', code: 'RATE_LIMITED',
    match: /^4(21|32)\b|\b4(21|32)[ -]\d\.\d|\b4\d\d[ -](?:\d\.\d{1,3}\.\d{1,3} )?.*(throttl|rate limit|limit exceeded|try again later|slow down|too many (connections|messages|requests|sessions|login attempts)|receiving mail (too quickly|at a rate))/i,
    meaning: 'The server asks the client to slow down (throttling, too many connections or messages)',
    remedy: 'The server asks to slow down: mailroom waits and retries, then tries the next adapter; lower the sending rate (messagesPerMinute on the adapter, or ?messagesPerMinute= in its DSN) or the number of connections if this recurs.',
    retry: true,
  },
  {
    // A pasted HTTP answer ("413 Payload Too Large", "422 {...}") starts with a status that SMTP
    // never uses as a reply code: it is a provider's refusal of the request, not an SMTP 4xx to
    // retry. Adapters' own errors never start with it (they name the adapter first).
    rule: 'http-client-error', code: 'REJECTED',
    match: /^(?:HTTP\/\d(?:\.\d)? )?(?:400|404|405|409|410|413|415|422)\b(?! ?[45]\.\d)/,
    meaning: 'The provider refused this HTTP request (a 4xx status): the request or the message is wrong for it',
    remedy: 'The provider refused the request for good: read the reason in its answer (a field, an address, the size), fix it, then send again (`mailroom resend <id>`); retrying the same request fails the same way.',
    retry: false,
  },
  {
    rule: 'smtp-temporary', code: 'TRANSIENT',
    match: /^4\d\d\b|\b4\d\d [45]\.|\b4\.\d{1,3}\.\d{1,3}\b/,
    meaning: 'A temporary failure: the server asks the client to try again later (busy, throttled or greylisting)',
    remedy: 'Nothing to fix yet: mailroom retries with backoff and then tries the next adapter. If it persists, check the provider\'s status page and your sending rate.',
    retry: true,
  },
];

// The next step for an error no rule names: every code has one, so no failure is a dead end.
const GENERIC_REMEDIES: Record<MailErrorCode, string> = {
  INVALID_MESSAGE: 'Fix the message field the error names (an address, a header, the body or its size) and send again; mailroom refused it before contacting any provider.',
  CONFIG: 'Fix the option, flag or DSN the error names (`mailroom <command> --help` lists a command\'s flags); `mailroom doctor` checks the whole configuration, README "Configuration strings" shows each DSN form.',
  TEMPLATE: 'Fix the template the error names (file and line are given); `mailroom preview <template>` renders it with its sample data.',
  UNSUPPORTED: 'This adapter cannot carry this message: add an adapter that can to the chain (failover(...)), or drop the feature it lacks from the message.',
  AUTH: 'Check this adapter\'s credentials and permissions (key, user, password, tenant, sender), then run `mailroom verify`; the chain sends through the next adapter meanwhile.',
  RATE_LIMITED: 'The provider asks to slow down: mailroom waits and retries when the wait is short, else the next adapter sends; lower the sending rate (messagesPerMinute on the adapter, or ?messagesPerMinute= in its DSN) or raise the provider\'s quota if this recurs.',
  TRANSIENT: 'A passing failure (network, provider busy): mailroom retries and then tries the next adapter; if it persists, check the provider\'s status page and run `mailroom verify`.',
  REJECTED: 'The provider refused this message for good: read its reason in the error, fix the recipient or content, then send it again (`mailroom resend <id>`).',
  AMBIGUOUS: 'The message may have been delivered: check the recipient\'s inbox or the provider\'s logs before sending again; the journal marks the entry possibleDuplicate.',
  ALL_FAILED: 'Every adapter failed: fix the cause each attempt names (its remedy is listed with it), then `mailroom resend --failed` sends the failed messages again from the journal.',
};

// A TEMPLATE error is about the data, the template's name or the locale as often as about the file:
// its field says which, and so which next step applies.
const TEMPLATE_REMEDIES: Array<[prefix: string, remedy: string]> = [
  ['template.data', 'Fix the template data the error names (a value missing or of the wrong type): a template\'s NAME.sample.json, where it has one (every built-in template does), shows every field it uses; `mailroom preview NAME --data FILE` checks data without sending.'],
  ['template.name', 'Use one of the known template names the error lists, or add NAME.mjml to your templates folder (templates.dir; --dir for `mailroom preview`), which is searched before the built-in ones.'],
  ['template.locale', 'Give the locale as a language tag such as fr, fr-CA or en; a locale without its own file falls back to the default one (README "Templates > Locales").'],
];

/** The next step for any error with this code (and, for TEMPLATE, this field), when nothing more specific is known. */
export function genericRemedy(code: MailErrorCode, field?: string): string {
  if (code === 'TEMPLATE' && field) {
    const found = TEMPLATE_REMEDIES.find(([prefix]) => field === prefix || field.startsWith(`${prefix}.`));
    if (found) return found[1];
  }
  return GENERIC_REMEDIES[code];
}

/** Looks a failure text up in the catalogue. */
export function explain(text: string): Diagnosis | undefined {
  const rule = RULES.find((candidate) => candidate.match.test(text));
  if (!rule) return undefined;
  const { match: _match, decides: _decides, ...diagnosis } = rule;
  return diagnosis;
}

/**
 * The code a failure text settles by itself, for an adapter to use over the one its HTTP status or
 * SMTP reply class gives: only rules marked `decides` answer, with whether a retry can help.
 */
export function decidedCode(text: string): { code: MailErrorCode; retryable: boolean } | undefined {
  const rule = RULES.find((candidate) => candidate.match.test(text));
  return rule?.decides ? { code: rule.code, retryable: rule.retry } : undefined;
}

/**
 * Adds the catalogue's remedy to the error when the error has none of its own yet; an error no
 * rule knows keeps the generic next step of its code (MailError.remedy is never empty).
 */
export function diagnose(failure: MailError | unknown): MailError {
  // Anything a catch-all hands over (a socket's error, a string, undefined) becomes a MailError
  // with the code its text settles, or TRANSIENT: the answer always has a code and a remedy.
  const error = failure instanceof MailError ? failure : toMailError(failure, { code: explain(failure instanceof Error ? failure.message : String(failure))?.code ?? 'TRANSIENT' });
  if (error.specificRemedy) return error;
  const diagnosis = explain(diagnosisText(error));
  if (diagnosis) error.remedy = diagnosis.remedy;
  return error;
}

// What the rules are matched against for an error: its reply codes, then its message (which names
// the adapter, e.g. "[mailroom] [brevo] 401 Unauthorized: Key not found").
function diagnosisText(error: MailError): string {
  return [error.smtpCode, error.enhancedCode, error.message].filter(Boolean).join(' ');
}

/**
 * Advice about a sender address that works today but is likely to be filtered: an address on a
 * tenant's onmicrosoft.com domain. Adapters put it in `SendReceipt.warnings`.
 */
export function senderAdvice(address: string): string | undefined {
  if (!/@[^@]*\.onmicrosoft\.com$/i.test(address)) return undefined;
  return `${address} is on an onmicrosoft.com domain: ${RULES.find((r) => r.rule === 'onmicrosoft-sender')!.remedy}`;
}
