import { ToastManager } from '@kong/kongponents';

export const toaster = new ToastManager();
