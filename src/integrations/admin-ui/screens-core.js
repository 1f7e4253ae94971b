// mailroom's admin screens (Overview, Test email, Email log, an entry's page, Resend, Explain) as
// React components built on a UI kit given to createMailroomScreens: Strapi's design system
// (./screens.js) or plain elements styled by Payload's admin (./plain-ui.js). Plain ESM without
// JSX: the CMS's admin build bundles this file as it is, with the app's own React. Every screen
// talks to the server through `api` (one method per route of src/integrations/admin, each
// resolving { status, body }), so the same screens run in Strapi, in Payload, and headless in tests
// against the real server functions.
import * as React from 'react';

/**
 * The screens on one UI kit: an object with the design-system components the screens use (Alert,
 * Badge, Box, Button, Field.Root/Label, Flex, ProgressBar, SingleSelect(Option), Table, Thead,
 * Tbody, Tr, Th, Td, TextInput, Textarea, Typography), with Strapi's design system's props.
 */
export function createMailroomScreens(ui) {
  const {
    Alert, Badge, Box, Button, Field, Flex, ProgressBar, SingleSelect, SingleSelectOption, Table, Tbody, Td, TextInput, Textarea, Th, Thead, Tr, Typography,
  } = ui;
  const h = React.createElement;
  const { useEffect, useState, useCallback } = React;

  // Select values for "no choice": the design system's select shows an empty value as a placeholder.
  const ANY = 'any';
  const CHAIN = '*chain*';
  const STATUS_VARIANT = { sent: 'success', failed: 'danger', pending: 'secondary', queued: 'secondary' };
  // The journal's statuses; `queued` is written in queue mode until a worker takes the message.
  const STATUSES = ['sent', 'failed', 'pending', 'queued'];

  function useReply(load, deps) {
    const [state, setState] = useState({ loading: true });
    const reload = useCallback(() => {
      setState((previous) => ({ ...previous, loading: true }));
      load().then((reply) => setState({ loading: false, reply }), (error) => setState({ loading: false, reply: { status: 0, body: { error: { message: String(error?.message ?? error) } } } }));
    }, deps);
    useEffect(reload, [reload]);
    return [state, reload];
  }

  // An error's message, then what to do (no "What to do" without a remedy). The server sends the
  // two apart (src/integrations/admin/admin-views.ts errorView), so the remedy shows once.
  function errorText(error) {
    if (!error) return '';
    const { message = '', remedy } = error;
    if (!remedy) return message;
    // A message without an end of sentence (an ALL_FAILED list, a provider's words) gets one before the remedy.
    return `${message}${/[.!?:]$/.test(message.trim()) ? '' : '.'} What to do: ${remedy}`;
  }

  // The server's refusal of a request (4xx/5xx); a 200 body may carry an `error` of its own (a failed entry's).
  function ErrorAlert({ reply }) {
    if (!reply || (reply.status >= 200 && reply.status < 300)) return null;
    const error = reply.body?.error ?? { message: `the server answered ${reply.status}` };
    return h(Alert, { variant: 'danger', title: error.code ?? 'Error', closeLabel: 'Close', role: 'alert' },
      errorText(error));
  }

  function Section({ title, children }) {
    return h(Box, { background: 'neutral0', padding: 6, hasRadius: true, shadow: 'filterShadow', marginBottom: 4 },
      h(Flex, { direction: 'column', alignItems: 'stretch', gap: 4 }, h(Typography, { variant: 'delta', tag: 'h2' }, title), children));
  }

  function StatusBadge({ status }) {
    return h(Badge, { variant: STATUS_VARIANT[status] ?? 'secondary' }, status);
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString() : '—';
  }

  /** Overview / health: each adapter, its last success and failure, verify on demand, the doctor's findings. */
  function OverviewScreen({ api }) {
    const [state] = useReply(() => api.overview(), [api]);
    const [verify, setVerify] = useState();
    if (state.loading && !state.reply) return h(Typography, null, 'Loading…');
    const body = state.reply?.body ?? {};
    return h(Box, null,
      h(ErrorAlert, { reply: state.reply }),
      h(Section, { title: 'Chain' },
        h(Table, { colCount: 5, rowCount: (body.adapters?.length ?? 0) + 1 },
          h(Thead, null, h(Tr, null, ...['Adapter', 'Endpoint', 'Last success', 'Last failure', 'Remedy'].map((label) => h(Th, { key: label }, h(Typography, { variant: 'sigma' }, label))))),
          h(Tbody, null, ...(body.adapters ?? []).map((adapter) => h(Tr, { key: adapter.name },
            h(Td, null, h(Typography, { fontWeight: 'bold' }, adapter.name)),
            h(Td, null, h(Typography, null, adapter.endpoint ?? adapter.target)),
            h(Td, null, h(Typography, null, when(adapter.lastSuccess?.at))),
            h(Td, null, h(Typography, null, adapter.lastFailure ? `${when(adapter.lastFailure.at)} · ${adapter.lastFailure.code}` : '—')),
            h(Td, null, h(Typography, null, adapter.lastFailure?.remedy ?? '')))))),
        h(Typography, { variant: 'pi', textColor: 'neutral600' }, `Journal: ${body.journal ?? '—'}`),
        h(Flex, { gap: 2 },
          h(Button, { onClick: () => { setVerify({ loading: true }); api.verify().then((reply) => setVerify({ reply })); }, loading: Boolean(verify?.loading) }, 'Verify the connection now')),
        verify?.reply ? h(Flex, { direction: 'column', alignItems: 'stretch', gap: 2 }, ...(verify.reply.body?.results ?? []).map((result) => h(Alert, {
          key: result.adapter, variant: result.ok ? 'success' : 'danger', title: `${result.adapter}: ${result.ok ? 'connection and credentials OK' : result.error?.code}`, closeLabel: 'Close',
        }, result.ok ? `${result.durationMs} ms` : errorText(result.error)))) : null),
      h(Section, { title: 'Doctor' },
        ...(body.findings ?? []).map((finding, index) => h(Box, { key: index },
          h(Flex, { gap: 2 }, h(Badge, { variant: finding.level === 'error' ? 'danger' : finding.level === 'warning' ? 'warning' : finding.level === 'ok' ? 'success' : 'secondary' }, finding.level), h(Typography, { fontWeight: 'bold' }, finding.check)),
          h(Typography, { tag: 'p' }, finding.message),
          finding.remedy ? h(Typography, { tag: 'p', textColor: 'neutral600' }, `What to do: ${finding.remedy}`) : null))));
  }

  /** Test email: to an address, through the whole chain or one adapter; the result, or the error and its remedy. */
  function TestScreen({ api, adapters = [] }) {
    const [to, setTo] = useState('');
    const [adapter, setAdapter] = useState('');
    const [state, setState] = useState();
    const send = (event) => {
      event.preventDefault();
      setState({ loading: true });
      api.test({ to, ...(adapter ? { adapter } : {}) }).then((reply) => setState({ reply }));
    };
    const body = state?.reply?.body;
    return h(Section, { title: 'Send a test email' },
      // The server validates (400 with the reason, shown below): no browser validation bubble in the way.
      h('form', { onSubmit: send, noValidate: true },
        h(Flex, { direction: 'column', alignItems: 'stretch', gap: 4 },
          h(Field.Root, { name: 'to', required: true },
            h(Field.Label, null, 'Send to'),
            h(TextInput, { type: 'email', value: to, onChange: (event) => setTo(event.target.value), placeholder: 'you@example.com' })),
          h(Field.Root, { name: 'adapter' },
            h(Field.Label, null, 'Through'),
            h(SingleSelect, { value: adapter || CHAIN, onChange: (value) => setAdapter(value === CHAIN ? '' : String(value ?? '')) },
              h(SingleSelectOption, { value: CHAIN }, 'the whole chain (with failover)'),
              ...adapters.map((name) => h(SingleSelectOption, { key: name, value: name }, `${name} only`)))),
          h(Flex, null, h(Button, { type: 'submit', loading: Boolean(state?.loading) }, 'Send test email')))),
      body?.ok ? h(Alert, { variant: 'success', title: 'Sent', closeLabel: 'Close', role: 'status' }, `Delivered through ${body.adapter} in ${body.durationMs} ms. Journal entry ${body.entryId}.`) : null,
      body && body.ok === false ? h(Alert, { variant: 'danger', title: `Failed: ${body.error?.code}`, closeLabel: 'Close', role: 'alert' },
        `${body.error?.message ?? ''} `, ...(body.error?.remedy ? [h(Typography, { fontWeight: 'bold' }, 'What to do: '), body.error.remedy] : [])) : null,
      state?.reply?.status >= 400 ? h(ErrorAlert, { reply: state.reply }) : null);
  }

  const EMPTY_FILTER = { status: '', delivery: '', to: '', template: '', since: '', until: '' };

  function queryOf(filter) {
    return Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== ''));
  }

  /** Email log: newest first, filters, paging; opens an entry; resends the failed entries matching the filter. */
  function LogScreen({ api, onOpen, pageSize = 20 }) {
    const [filter, setFilter] = useState(EMPTY_FILTER);
    const [applied, setApplied] = useState(EMPTY_FILTER);
    const [cursors, setCursors] = useState([undefined]);
    const cursor = cursors[cursors.length - 1];
    const [state] = useReply(() => api.list({ ...queryOf(applied), limit: String(pageSize), ...(cursor ? { cursor } : {}) }), [api, applied, cursor, pageSize]);
    const body = state.reply?.body ?? {};
    const field = (name, label, props = {}) => h(Field.Root, { name, key: name },
      h(Field.Label, null, label),
      h(TextInput, { value: filter[name], onChange: (event) => setFilter({ ...filter, [name]: event.target.value }), ...props }));
    return h(Box, null,
      h(Section, { title: 'Email log' },
        h('form', { onSubmit: (event) => { event.preventDefault(); setCursors([undefined]); setApplied(filter); } },
          h(Flex, { gap: 3, wrap: 'wrap', alignItems: 'flex-end' },
            h(Field.Root, { name: 'status' }, h(Field.Label, null, 'Status'),
              h(SingleSelect, { value: filter.status || ANY, onChange: (value) => setFilter({ ...filter, status: value === ANY ? '' : String(value ?? '') }) },
                ...[ANY, ...STATUSES].map((value) => h(SingleSelectOption, { key: value, value }, value)))),
            field('delivery', 'Delivery state', { placeholder: 'delivered, bounced…' }),
            field('to', 'Recipient'),
            field('template', 'Template'),
            field('since', 'From (date)', { type: 'date' }),
            field('until', 'Until (date)', { type: 'date' }),
            h(Button, { type: 'submit' }, 'Filter'))),
        h(ErrorAlert, { reply: state.reply }),
        h(Table, { colCount: 6, rowCount: (body.entries?.length ?? 0) + 1 },
          h(Thead, null, h(Tr, null, ...['Date', 'Status', 'To', 'Subject', 'Adapter', 'Delivery'].map((label) => h(Th, { key: label }, h(Typography, { variant: 'sigma' }, label))))),
          h(Tbody, null, ...(body.entries ?? []).map((row) => h(Tr, { key: row.id, onClick: () => onOpen?.(row.id), style: { cursor: 'pointer' }, 'aria-label': `Open ${row.subject}` },
            h(Td, null, h(Typography, null, when(row.createdAt))),
            h(Td, null, h(Flex, { gap: 2 }, h(StatusBadge, { status: row.status }), row.errorCode ? h(Typography, { textColor: 'danger600' }, row.errorCode) : null)),
            h(Td, null, h(Typography, null, row.to.join(', '))),
            h(Td, null, h(Typography, { fontWeight: 'bold' }, row.subject)),
            // A failed entry was delivered by none: the adapter that failed last.
            h(Td, null, h(Typography, null, row.adapter ?? row.lastAttemptAdapter ?? '—')),
            h(Td, null, h(Typography, null, row.delivery ?? '—')))))),
        (body.entries?.length ?? 0) === 0 && !state.loading ? h(Typography, { textColor: 'neutral600' }, 'No email matches.') : null,
        h(Flex, { gap: 2 },
          h(Button, { variant: 'tertiary', disabled: cursors.length === 1, onClick: () => setCursors(cursors.slice(0, -1)) }, 'Newer'),
          h(Button, { variant: 'tertiary', disabled: !body.cursor, onClick: () => setCursors([...cursors, body.cursor]) }, 'Older'))),
      h(ResendFiltered, { api, filter: applied }));
  }

  /** Resend every failed entry matching the filter, a page at a time, with progress and a summary. */
  function ResendFiltered({ api, filter, batch = 10 }) {
    const [run, setRun] = useState();
    const start = async () => {
      const totals = { resent: 0, failed: 0, skipped: 0 };
      const outcomes = [];
      let cursor;
      setRun({ running: true, totals, outcomes });
      const { status: _status, ...rest } = queryOf(filter);
      do {
        const reply = await api.resend({ filter: rest, max: batch, ...(cursor ? { cursor } : {}) });
        if (reply.status !== 200) {
          setRun({ running: false, totals, outcomes, reply });
          return;
        }
        for (const key of Object.keys(totals)) totals[key] += reply.body.summary[key];
        outcomes.push(...reply.body.outcomes);
        cursor = reply.body.cursor;
        setRun({ running: Boolean(cursor), totals: { ...totals }, outcomes: [...outcomes] });
      } while (cursor);
    };
    const done = run && !run.running;
    const handled = run ? run.totals.resent + run.totals.failed + run.totals.skipped : 0;
    return h(Section, { title: 'Resend failed emails' },
      h(Typography, null, 'Sends again every failed email matching the filter above that was not resent yet. Emails that may already have been delivered are skipped.'),
      h(Flex, null, h(Button, { variant: 'secondary', onClick: start, loading: Boolean(run?.running) }, 'Resend failed emails matching the filter')),
      run?.running ? h(Box, null, h(ProgressBar, { value: null }), h(Typography, null, `${handled} handled…`)) : null,
      done && !run.reply ? h(Alert, { variant: run.totals.failed > 0 ? 'warning' : 'success', title: 'Resend finished', closeLabel: 'Close', role: 'status' },
        `${run.totals.resent} resent, ${run.totals.failed} failed again, ${run.totals.skipped} skipped.`) : null,
      run?.reply ? h(ErrorAlert, { reply: run.reply }) : null,
      ...(run?.outcomes ?? []).filter((outcome) => outcome.error).map((outcome) => h(Typography, { key: outcome.original, tag: 'p', textColor: 'neutral600' }, `${outcome.original}: ${outcome.result} — ${errorText(outcome.error)}`)));
  }

  /** An entry's page: every attempt with its remedy, delivery events, the sandboxed HTML preview, resend. */
  function EntryScreen({ api, id, onBack }) {
    const [state, reload] = useReply(() => api.get(id), [api, id]);
    const [resend, setResend] = useState();
    const entry = state.reply?.status === 200 ? state.reply.body : undefined;
    return h(Box, null,
      onBack ? h(Box, { paddingBottom: 4 }, h(Button, { variant: 'tertiary', onClick: onBack }, '← Email log')) : null,
      h(ErrorAlert, { reply: state.reply }),
      entry ? h(Section, { title: entry.subject },
        h(Flex, { gap: 2 }, h(StatusBadge, { status: entry.status }), entry.delivery ? h(Badge, null, entry.delivery) : null, entry.possibleDuplicate ? h(Badge, { variant: 'warning' }, 'possible duplicate') : null),
        h(Typography, { tag: 'p' }, `From ${entry.summary.from} to ${entry.summary.to.join(', ')}${entry.summary.cc.length ? `, cc ${entry.summary.cc.join(', ')}` : ''}`),
        h(Typography, { tag: 'p', textColor: 'neutral600' }, `${when(entry.createdAt)} · ${entry.template ? `template ${entry.template} · ` : ''}Message-ID ${entry.messageId}`),
        entry.error ? h(Alert, { variant: 'danger', title: entry.error.code, closeLabel: 'Close' }, errorText(entry.error)) : null,
        entry.possibleDelivery ? h(Alert, { variant: 'warning', title: 'May already have been delivered', closeLabel: 'Close' }, entry.possibleDelivery) : null,
        entry.resendable && entry.status !== 'sent' ? h(Flex, { gap: 2 },
          h(Button, { onClick: () => { setResend({ loading: true }); api.resend({ id: entry.id, ...(entry.possibleDelivery ? { includePossibleDuplicates: true } : {}) }).then((reply) => { setResend({ reply }); reload(); }); }, loading: Boolean(resend?.loading) }, entry.possibleDelivery ? 'Resend anyway' : 'Resend')) : null,
        resend?.reply?.body?.result ? h(Alert, { variant: resend.reply.body.result === 'sent' ? 'success' : 'danger', title: `Resend ${resend.reply.body.result}`, closeLabel: 'Close', role: 'status' },
          resend.reply.body.result === 'sent' ? `Delivered through ${resend.reply.body.adapter}, new entry ${resend.reply.body.entryId}.` : errorText(resend.reply.body.error)) : null,
        entry.resentAs.length ? h(Typography, { tag: 'p' }, `Resent as ${entry.resentAs.join(', ')}`) : null) : null,
      entry ? h(Section, { title: 'Attempts' },
        h(Table, { colCount: 5, rowCount: entry.attemptsDetail.length + 1 },
          h(Thead, null, h(Tr, null, ...['Adapter', 'Started', 'Result', 'Code', 'Remedy'].map((label) => h(Th, { key: label }, h(Typography, { variant: 'sigma' }, label))))),
          h(Tbody, null, ...entry.attemptsDetail.map((attempt, index) => h(Tr, { key: index },
            h(Td, null, h(Typography, null, attempt.adapter)),
            h(Td, null, h(Typography, null, `${when(attempt.startedAt)} (${attempt.durationMs} ms)`)),
            h(Td, null, h(Typography, null, attempt.ok ? 'delivered' : attempt.error.message)),
            h(Td, null, h(Typography, null, attempt.ok ? (attempt.providerMessageId ?? '') : [attempt.error.code, attempt.error.status, attempt.error.smtpCode, attempt.error.enhancedCode].filter(Boolean).join(' '))),
            h(Td, null, h(Typography, null, attempt.ok ? '' : attempt.error.remedy))))))) : null,
      entry && entry.events.length ? h(Section, { title: 'Delivery events' },
        ...entry.events.map((event, index) => h(Typography, { key: index, tag: 'p' }, [event.at ?? event.timestamp, event.type ?? event.event, event.reason ?? event.description].filter(Boolean).join(' · ')))) : null,
      entry ? h(Section, { title: 'Message' },
        entry.content?.html !== undefined
          // sandbox="" : no script runs, no form posts, no same-origin access; srcdoc keeps the page off the network.
          ? h('iframe', { title: 'Message preview', sandbox: '', srcDoc: entry.content.html, style: { width: '100%', minHeight: '480px', border: '1px solid #dcdce4', borderRadius: '4px', background: '#fff' } })
          : entry.content?.text !== undefined
            ? h('pre', { style: { whiteSpace: 'pre-wrap' } }, entry.content.text)
            : h(Typography, { textColor: 'neutral600' }, entry.sensitive ? 'This message carried a credential (a reset link…): its content was not kept.' : 'Message content is shown to roles with the "View message content" permission.')) : null);
  }

  /** Explain: paste an error, read the diagnosis. */
  function ExplainScreen({ api }) {
    const [text, setText] = useState('');
    const [state, setState] = useState();
    const body = state?.reply?.body;
    return h(Section, { title: 'Explain an error' },
      h('form', { onSubmit: (event) => { event.preventDefault(); api.explain({ text }).then((reply) => setState({ reply })); } },
        h(Flex, { direction: 'column', alignItems: 'stretch', gap: 4 },
          h(Field.Root, { name: 'text' }, h(Field.Label, null, 'Error text (an SMTP reply, a provider error, a log line)'),
            h(Textarea, { value: text, onChange: (event) => setText(event.target.value), placeholder: '535 5.7.139 Authentication unsuccessful…' })),
          h(Flex, null, h(Button, { type: 'submit' }, 'Explain')))),
      body?.found ? h(Alert, { variant: 'default', title: `${body.diagnosis.code}: ${body.diagnosis.meaning}`, closeLabel: 'Close', role: 'status' }, `What to do: ${body.diagnosis.remedy}`) : null,
      body && body.found === false ? h(Alert, { variant: 'warning', title: 'Not in the catalogue', closeLabel: 'Close', role: 'status' }, body.message) : null,
      state?.reply?.status >= 400 ? h(ErrorAlert, { reply: state.reply }) : null);
  }

  const TABS = [['overview', 'Overview'], ['log', 'Email log'], ['test', 'Test email'], ['explain', 'Explain']];

  /** The screens with their navigation; `can` says which actions the user holds (hides the rest). */
  function MailroomScreens({ api, can = { sendTest: true, resend: true }, initial = 'overview' }) {
    const [tab, setTab] = useState(initial);
    const [entry, setEntry] = useState();
    const [adapters, setAdapters] = useState([]);
    useEffect(() => { api.overview().then((reply) => setAdapters((reply.body?.adapters ?? []).map((adapter) => adapter.name))); }, [api]);
    const tabs = TABS.filter(([key]) => key !== 'test' || can.sendTest);
    const guarded = { ...api, resend: can.resend ? api.resend : async () => ({ status: 403, body: { error: { code: 'FORBIDDEN', message: 'your role may not resend emails' } } }) };
    return h(Box, null,
      h(Flex, { gap: 2, paddingBottom: 4, tag: 'nav', 'aria-label': 'Mailroom' }, ...tabs.map(([key, label]) => h(Button, {
        key, variant: tab === key && !entry ? 'default' : 'tertiary', onClick: () => { setEntry(undefined); setTab(key); }, 'aria-current': tab === key && !entry ? 'page' : undefined,
      }, label))),
      entry ? h(EntryScreen, { api: guarded, id: entry, onBack: () => setEntry(undefined) })
        : tab === 'overview' ? h(OverviewScreen, { api })
          : tab === 'log' ? h(LogScreen, { api: guarded, onOpen: setEntry })
            : tab === 'test' ? h(TestScreen, { api, adapters })
              : h(ExplainScreen, { api }));
  }

  return { OverviewScreen, TestScreen, LogScreen, ResendFiltered, EntryScreen, ExplainScreen, MailroomScreens };
}
