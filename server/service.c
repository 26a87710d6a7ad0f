/* service: the service table tamnongd serves. protobuf-c's generated invoke
 * calls the handler at the method's index; the macro binds handle_<method>
 * for every method of proto/tamnong.proto. */
#include "call.h"
#include "handlers.h"

Tamnong__Tamnong_Service tamnong_service = TAMNONG__TAMNONG__INIT(handle_);
