// Kongponents base styles (exported as '@kong/kongponents/dist/style.css' -> dist/kongponents.css)
import '@kong/kongponents/dist/style.css';
// The entity packages do NOT import their own dist/style.css from JS (only
// entities-plugins imports vaults/redis-configurations/monaco/vue-flow styles),
// so import each one here.
import '@kong-ui-public/entities-shared/dist/style.css';
import '@kong-ui-public/forms/dist/style.css';
import '@kong-ui-public/entities-gateway-services/dist/style.css';
import '@kong-ui-public/entities-routes/dist/style.css';
import '@kong-ui-public/entities-consumers/dist/style.css';
import '@kong-ui-public/entities-consumer-groups/dist/style.css';
import '@kong-ui-public/entities-consumer-credentials/dist/style.css';
// Kong Manager's shell (sidebar, navbar).
import '@kong-ui-public/app-layout/dist/style.css';
import './app.css';
