/*
 * error_detail.c - the JSON DETAIL every error of the extension carries
 * (DESIGN.md section 6): {"reason": "<stable reason>", ...more members}, so
 * that clients branch on "reason", never on message text.
 */
#include "workflow_ext.h"

#include "lib/stringinfo.h"
#include "utils/json.h"

/*
 * Inside ereport(...): errdetail_reason("stage_archived", "\"stage_id\": %lld", id)
 * sets DETAIL to {"reason": "stage_archived", "stage_id": 12}.  members_fmt
 * (NULL for none) formats further members, already JSON (wf_json_string()
 * quotes a text).  reason is one of the constants of README "Errors".
 */
int
errdetail_reason(const char *reason, const char *members_fmt,...)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"reason\": ");
	escape_json(&buf, reason);
	if (members_fmt != NULL)
	{
		va_list		args;
		StringInfoData members;

		initStringInfo(&members);
		for (;;)
		{
			int			needed;

			va_start(args, members_fmt);
			needed = appendStringInfoVA(&members, members_fmt, args);
			va_end(args);
			if (needed == 0)
				break;
			enlargeStringInfo(&members, needed);
		}
		if (members.len > 0)
		{
			appendStringInfoString(&buf, ", ");
			appendBinaryStringInfo(&buf, members.data, members.len);
		}
	}
	appendStringInfoChar(&buf, '}');
	return errdetail("%s", buf.data);
}

/* text as a JSON string, quoted and escaped (palloc'd). */
char *
wf_json_string(const char *text)
{
	StringInfoData buf;

	initStringInfo(&buf);
	escape_json(&buf, text);
	return buf.data;
}
