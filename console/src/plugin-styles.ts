// entities-plugins does not import its own dist/style.css from JS. Imported from every
// component that uses the package, so the CSS lands in the lazy plugins chunk.
import '@kong-ui-public/entities-plugins/dist/style.css';
