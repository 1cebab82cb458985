// How numbers and shapes read on the canvas and in the summary.
export { formatShape } from '../../nodes/define';

const counts = new Intl.NumberFormat('en-US');
/** 69076 → "69,076", as Keras's summary prints it. */
export const formatCount = (n: number): string => counts.format(n);
