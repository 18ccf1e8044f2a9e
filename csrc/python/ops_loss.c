/* ops_loss.c - placeholder: filled in by the loss work (see pynet.h for the op conventions). */
#include "pynet.h"

PyMethodDef pn_module_methods_loss[] = {{NULL, NULL, 0, NULL}};
