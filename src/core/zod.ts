/** zod/mini with classic zod's English messages (mini loads no locale): import as `* as z`. */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
