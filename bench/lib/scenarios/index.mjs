// The scenario bodies run inside a child process (see ../child.mjs).
import { http } from './http.mjs';
import { memory } from './memory.mjs';
import { short } from './short.mjs';
import { stalls } from './stalls.mjs';
import { steady } from './steady.mjs';

export const SCENARIOS = { steady, short, stalls, memory, http };
