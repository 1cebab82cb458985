// The app's entry. The main thread never imports @tensorflow/*: training runs in a Web Worker.
import { createPinia } from 'pinia';
import { createApp, shallowRef } from 'vue';
import App from './App.vue';
import { editorKey } from './editor/editor-key';
import type { EditorHandle } from './editor/create-editor';
import './styles.css';

const app = createApp(App);
app.use(createPinia());
app.provide(editorKey, shallowRef<EditorHandle | null>(null));
app.mount('#app');
