import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import MonacoVitePlugin from '@kong-ui-public/monaco-editor/vite-plugin';

// https://vite.dev/config/
export default defineConfig({
  // relative asset URLs so dist/ can be served from any path / origin
  base: './',
  plugins: [
    vue(),
    // Replaces the bare 'monaco-editor' and 'shiki' imports (used by entities-plugins,
    // entities-shared, @kong-ui-public/monaco-editor) with trimmed virtual modules and
    // registers self.MonacoEnvironment.getWorker (editor + json workers).
    MonacoVitePlugin({
      languages: ['json', 'yaml', 'lua', 'markdown'],
      shiki: {
        langs: ['json', 'yaml', 'lua', 'markdown', 'shellscript', 'terraform'],
        themes: ['catppuccin-latte', 'catppuccin-mocha'],
      },
    }),
  ],
  build: {
    outDir: 'dist',
    sourcemap: false,
    chunkSizeWarningLimit: 8000,
    reportCompressedSize: false,
  },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
});
