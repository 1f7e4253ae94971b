// mailroom's admin screens (Overview, Test email, Email log, an entry's page, Resend, Explain) on
// Strapi's design system: the screens of ./screens-core.js bound to @strapi/design-system, which
// the Strapi admin build bundles with the app's own React. Payload's admin, which has no Strapi
// design system, builds the same screens on plain elements (./plain-ui.js, ./payload-screens.js).
import * as designSystem from '@strapi/design-system';
import { createMailroomScreens } from './screens-core.js';

export const {
  OverviewScreen, TestScreen, LogScreen, ResendFiltered, EntryScreen, ExplainScreen, MailroomScreens,
} = createMailroomScreens(designSystem);
