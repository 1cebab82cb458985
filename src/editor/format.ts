// How numbers and shapes read on the canvas and in the summary.
export { formatShape } from '../../nodes/define';

/** 69076 → "69,076", as Keras's summary prints it; `?` where unknown. */
export { countText as formatCount } from '../graph/describe';
