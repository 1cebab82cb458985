// How components reach the canvas (zoom to fit, add at the view's centre, select) once it exists.
import type { InjectionKey, ShallowRef } from 'vue';
import type { EditorHandle } from './create-editor';

export const editorKey: InjectionKey<ShallowRef<EditorHandle | null>> = Symbol('wirelab.editor');

/** The drag-and-drop data type a palette item carries: the node type. */
export const NODE_DRAG_TYPE = 'application/x-wirelab-node';
