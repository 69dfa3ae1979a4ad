import { reactive } from 'vue';
import { AUTH_REQUIRED, getAdminToken, setAdminToken } from './runtime-config';

// Signed in: no token needed, or one is held for this tab. Nothing renders before that.
export const session = reactive({
  signedIn: !AUTH_REQUIRED || getAdminToken() !== null,
  message: '',
  signIn(token: string) {
    setAdminToken(token);
    session.message = '';
    session.signedIn = true;
  },
  signOut(message = '') {
    setAdminToken(null);
    session.message = message;
    session.signedIn = !AUTH_REQUIRED;
  },
});
