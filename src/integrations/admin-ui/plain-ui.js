// A UI kit for ./screens-core.js made of plain HTML elements, for admins without Strapi's design
// system (Payload's). Same component names and props as the design-system parts the screens use;
// the look comes from the host admin's CSS: Payload's theme variables (--theme-elevation-*,
// --theme-success-*...) and its button classes, with neutral fallbacks elsewhere. Labels are tied to
// their inputs (Field.Root gives an id), so the screens stay usable by screen readers and by tests.
import * as React from 'react';

const h = React.createElement;
const FieldId = React.createContext(undefined);

const space = (step) => (step === undefined ? undefined : `${step * 4}px`);
const color = (name, fallback) => `var(--theme-${name}, ${fallback})`;
const TONES = {
  success: [color('success-100', '#eaf6ee'), color('success-750', '#1e6b3b')],
  danger: [color('error-100', '#fdecec'), color('error-750', '#8a1c1c')],
  warning: [color('warning-100', '#fdf4e3'), color('warning-750', '#7a5300')],
  secondary: [color('elevation-100', '#eeeeee'), color('elevation-800', '#333333')],
  default: [color('elevation-50', '#f4f4f4'), color('elevation-800', '#333333')],
};

// Props of the design system that only style: kept off the DOM.
function domProps(props) {
  const { background, padding, paddingBottom, marginBottom, hasRadius, shadow, gap, direction, alignItems, wrap, tag, variant, fontWeight, textColor, loading, closeLabel, title, children, ...rest } = props;
  return rest;
}

function Box(props) {
  const { background, padding, paddingBottom, marginBottom, hasRadius, shadow, tag = 'div', children } = props;
  return h(tag, {
    ...domProps(props),
    style: {
      background: background ? color('elevation-0', '#fff') : undefined,
      padding: space(padding), paddingBottom: space(paddingBottom), marginBottom: space(marginBottom),
      borderRadius: hasRadius ? 'var(--style-radius-m, 4px)' : undefined,
      border: shadow ? `1px solid ${color('elevation-150', '#dddddd')}` : undefined,
      ...props.style,
    },
  }, children);
}

function Flex(props) {
  const { gap, direction = 'row', alignItems = 'center', wrap, paddingBottom, tag = 'div', children } = props;
  return h(tag, {
    ...domProps(props),
    style: { display: 'flex', flexDirection: direction, alignItems, flexWrap: wrap, gap: space(gap), paddingBottom: space(paddingBottom), ...props.style },
  }, children);
}

const HEADINGS = { alpha: 'h1', beta: 'h2', delta: 'h2' };
function Typography(props) {
  const { variant, tag, fontWeight, textColor, children } = props;
  return h(tag ?? HEADINGS[variant] ?? 'span', {
    ...domProps(props),
    style: {
      fontWeight: fontWeight === 'bold' || variant === 'sigma' ? 600 : undefined,
      color: textColor ? color('elevation-600', '#666666') : undefined,
      fontSize: variant === 'pi' ? '0.85em' : variant === 'sigma' ? '0.8em' : undefined,
      textTransform: variant === 'sigma' ? 'uppercase' : undefined,
      margin: tag === 'p' ? '0' : HEADINGS[variant] ? '0' : undefined,
      ...props.style,
    },
  }, children);
}

// Payload's .btn classes give its own buttons' look; secondary for the design system's lighter variants.
function Button(props) {
  const { variant = 'default', loading, type = 'button', disabled, children } = props;
  const look = variant === 'default' ? 'primary' : 'secondary';
  return h('button', {
    ...domProps(props),
    type,
    disabled: disabled || loading,
    'aria-busy': loading ? true : undefined,
    className: `btn btn--style-${look} btn--size-small`,
    style: { margin: 0, ...props.style },
  }, h('span', { className: 'btn__content' }, h('span', { className: 'btn__label' }, loading ? h(React.Fragment, null, children, '…') : children)));
}

function Alert(props) {
  const { variant = 'default', title, role, children } = props;
  const [background, text] = TONES[variant] ?? TONES.default;
  return h('div', { role: role ?? (variant === 'danger' ? 'alert' : 'status'), style: { background, color: text, padding: '12px 16px', borderRadius: 'var(--style-radius-s, 4px)' } },
    title ? h('strong', { style: { display: 'block' } }, title) : null, children);
}

function Badge(props) {
  const { variant = 'secondary', children } = props;
  const [background, text] = TONES[variant] ?? TONES.secondary;
  return h('span', { style: { background, color: text, padding: '2px 8px', borderRadius: '999px', fontSize: '0.8em', fontWeight: 600 } }, children);
}

function ProgressBar() {
  return h('progress', { 'aria-label': 'Progress' });
}

const Field = {
  Root({ name, children }) {
    const id = `mailroom-field-${name}-${React.useId().replace(/:/g, '')}`;
    return h(FieldId.Provider, { value: id }, h('div', { style: { display: 'flex', flexDirection: 'column', gap: '4px' } }, children));
  },
  Label({ children }) {
    return h('label', { htmlFor: React.useContext(FieldId), style: { fontWeight: 600 } }, children);
  },
};

const inputStyle = { padding: '8px 12px', border: `1px solid ${color('elevation-150', '#cccccc')}`, borderRadius: 'var(--style-radius-s, 4px)', background: color('input-bg', '#fff'), color: 'inherit', font: 'inherit' };

function TextInput(props) {
  return h('input', { ...domProps(props), id: React.useContext(FieldId), type: props.type ?? 'text', style: inputStyle });
}

function Textarea(props) {
  return h('textarea', { ...domProps(props), id: React.useContext(FieldId), rows: 5, style: { ...inputStyle, width: '100%' } });
}

// The design system's select calls onChange with the chosen value, not an event.
function SingleSelect({ value, onChange, children }) {
  return h('select', { id: React.useContext(FieldId), value, onChange: (event) => onChange(event.target.value), style: inputStyle }, children);
}

function SingleSelectOption({ value, children }) {
  return h('option', { value }, children);
}

function Table({ children }) {
  return h('div', { style: { overflowX: 'auto' } }, h('table', { style: { width: '100%', borderCollapse: 'collapse' } }, children));
}
const Thead = ({ children }) => h('thead', null, children);
const Tbody = ({ children }) => h('tbody', null, children);
const Tr = (props) => h('tr', domProps(props), props.children);
const cell = { textAlign: 'left', padding: '8px', borderBottom: `1px solid ${color('elevation-100', '#eeeeee')}`, verticalAlign: 'top' };
const Th = ({ children }) => h('th', { style: cell }, children);
const Td = ({ children }) => h('td', { style: cell }, children);

export const plainUi = {
  Alert, Badge, Box, Button, Field, Flex, ProgressBar, SingleSelect, SingleSelectOption, Table, Tbody, Td, TextInput, Textarea, Th, Thead, Tr, Typography,
};
