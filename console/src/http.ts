import axios, { type AxiosInstance, type AxiosRequestConfig } from 'axios';
import { getAdminToken } from './runtime-config';
import { session } from './session';

// Every @kong-ui-public entity component builds its axios instance through entities-shared's
// useAxios(config.axiosRequestConfig), which uses inject('get-axios-instance') when provided:
// main.ts provides this factory, so every request carries the admin token (read per request)
// and a 401 anywhere signs the console out.
export const createAdminAxios = (config: AxiosRequestConfig = {}): AxiosInstance => {
  const instance = axios.create({
    timeout: 30000,
    // Bearer auth, no cookies: the Admin API is another origin.
    withCredentials: false,
    ...config,
  });
  instance.interceptors.request.use((req) => {
    const token = getAdminToken();
    if (token && !req.headers.has('Authorization')) req.headers.set('Authorization', `Bearer ${token}`);
    return req;
  });
  instance.interceptors.response.use(
    (res) => res,
    (err) => {
      if (err?.response?.status === 401) session.signOut('The Admin API refused the token.');
      return Promise.reject(err);
    },
  );
  return instance;
};

// The console's own calls (GET / at sign-in).
export const adminAxios = createAdminAxios();
