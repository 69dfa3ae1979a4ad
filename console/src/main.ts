import { createApp } from 'vue';
import Kongponents from '@kong/kongponents';
import App from './App.vue';
import { router } from './router';
import { createAdminAxios } from './http';
import './styles';

const app = createApp(App);
// The entity packages resolve KButton, KTable, … as globally registered components.
app.use(Kongponents);
// Every entity component's axios instance comes from this factory (token, 401 handling).
app.provide('get-axios-instance', createAdminAxios);
app.use(router);
app.mount('#app');
