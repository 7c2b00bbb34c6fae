/* Unit tests for app/autoscale/haproxy (the `show stat` CSV) and app/autoscale/cpu. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "autoscale/cpu.h"
#include "autoscale/haproxy.h"
#include "core/err.h"

#include <string.h>

/* captured from HAProxy 2.6.12 (`echo "show stat" | socat - UNIX:haproxy.sock`): be_web with
 * web1 UP, web2 DOWN (its server gone), web3 disabled in the configuration (MAINT) and web4 a
 * dynamic server added with `add server` and enabled, its checks failing ("UP 1/3") */
static const char REAL[] =
    "# "
    "pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,"
    "status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,"
    "tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,"
    "hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_"
    "abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,"
    "agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_"
    "health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_"
    "tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_"
    "max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_"
    "est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_"
    "sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_"
    "goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_"
    "resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_"
    "backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_"
    "streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,\n"
    "fe_http,FRONTEND,,,0,2,9984,20,1640,11080,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,20,,,,0,20,0,"
    "0,0,0,,0,20,20,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,0,20,20,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,"
    "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,20,20,1580,11580,0,0,\n"
    "be_web,web1,0,0,0,1,,10,820,5540,,0,,0,0,0,0,UP,1,1,0,1,1,7,1,,1,3,1,75,10,,2,0,,10,L7OK,200,"
    "1,0,10,0,0,0,0,,,,10,0,0,,,,,6,,,0,0,0,0,,,,Layer7 check "
    "passed,,2,2,3,,,,127.0.0.1:24051,,http,,,,,,,,0,10,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,"
    ",,,,,,,,,,,,,,,,\n"
    "be_web,web2,0,0,0,1,,10,820,5540,,0,,0,0,0,0,DOWN,1,1,0,2,1,1,1,,1,3,2,,10,,2,0,,10,L4CON,,0,"
    "0,10,0,0,0,0,,,,10,0,0,,,,,6,Connection refused,,0,0,1,1,,,,Layer4 connection "
    "problem,,2,2,0,,,,127.0.0.1:24052,,http,,,,,,,,0,10,0,,,0,,0,0,1,1,0,0,0,0,1,1,,,,-,0,0,0,,,,,"
    ",,,,,,,,,,,,,,,,,\n"
    "be_web,web3,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,1,0,0,0,8,8,,1,3,3,,0,,2,0,,0,,,,0,0,0,0,0,0,,,"
    ",0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:24053,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,"
    "1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,\n"
    "be_web,web4,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP "
    "1/"
    "3,1,1,0,0,0,2,0,,1,3,4,,0,,2,0,,0,INI,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Initializing,"
    ",2,3,2,,,,127.0.0.1:24054,,http,,,,,,,,0,0,0,,,0,0,0,0,0,0,0,0,0,0,0,1,,,,-,0,0,0,,,,,,,,,,,,,"
    ",,,,,,,,,\n"
    "be_web,BACKEND,0,0,0,1,999,20,1640,11080,0,0,,0,0,0,0,UP,2,2,0,,0,8,0,,1,3,0,,20,,1,0,,20,,,,"
    "0,20,0,0,0,0,,,,20,0,0,0,0,0,0,6,,,0,0,1,1,,,,,,,,,,,,,,http,leastconn,,,,,,,0,20,0,0,0,,,0,0,"
    "1,1,0,,,,,2,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,53,53,22887,2102,0,0,\n";

static void test_real_sample(void **state)
{
    (void)state;
    struct hap_backend b;
    assert_int_equal(hap_parse_stat(str_from_cstr(REAL), "be_web", &b), 0);
    assert_int_equal(b.n, 4);
    assert_string_equal(b.s[0].name, "web1");
    assert_string_equal(b.s[0].status, "UP");
    assert_int_equal(b.s[0].state, HAP_UP);
    assert_int_equal(b.s[0].weight, 1);
    assert_int_equal(b.s[1].state, HAP_DOWN);
    assert_string_equal(b.s[2].status, "MAINT");
    assert_int_equal(b.s[2].state, HAP_LEAVING);
    assert_string_equal(b.s[3].status, "UP 1/3");
    assert_int_equal(b.s[3].state, HAP_UP);
    assert_int_equal(b.up, 2);
    assert_int_equal(b.leaving, 1);
    assert_int_equal(b.down, 1);
    assert_int_equal(b.queue, 0);
    assert_true(b.s[0].stot >= 10); /* the requests sent before the capture */
    /* another backend: none of these */
    assert_int_equal(hap_parse_stat(str_from_cstr(REAL), "be_other", &b), 0);
    assert_int_equal(b.n, 0);
}

static void test_columns_by_name(void **state)
{
    (void)state;
    /* other column order, extra columns, CRLF: found by the header, never by position */
    static const char csv[] = "# svname,extra,pxname,status,weight,qcur,scur,stot,rtime,req_tot\r\n"
                              "FRONTEND,x,fe_http,OPEN,,,9,100,,100\r\n"
                              "web1,x,be_web,UP,100,2,10,500,35,480\r\n"
                              "web2,x,be_web,DOWN 1/2,100,0,0,0,0,0\r\n"
                              "web3,x,be_web,DRAIN,0,0,3,90,20,90\r\n"
                              "web4,x,be_web,no check,100,1,7,300,45,300\r\n"
                              "BACKEND,x,be_web,UP,300,4,20,890,30,870\r\n";
    struct hap_backend b;
    assert_int_equal(hap_parse_stat(str_from_cstr(csv), "be_web", &b), 0);
    assert_int_equal(b.n, 4);
    assert_int_equal(b.up, 2);
    assert_int_equal(b.joining, 1);
    assert_int_equal(b.leaving, 1);
    assert_int_equal(b.queue, 4);
    /* sessions + queue of UP servers (12 + 8) + the backend's queue (4) */
    assert_true(b.load == 24.0);
    assert_true(b.rtime_ms == 40.0);
    assert_int_equal(b.s[0].req_tot, 480);
    /* a missing column, a missing header, a bad number */
    assert_int_equal(hap_parse_stat(STR("# pxname,svname,status\nbe_web,web1,UP\n"), "be_web", &b),
                     ERR_INVAL);
    assert_int_equal(hap_parse_stat(STR("be_web,web1,UP\n"), "be_web", &b), ERR_INVAL);
    /* found by fuzz_haproxy_stat: a row cut short before a needed column (was a NULL memcpy) */
    assert_int_equal(hap_parse_stat(STR("# pxname,svname,scur,qcur,status,weight,stot\n"
                                        "be_web,web1,1\n"),
                                    "be_web", &b),
                     ERR_INVAL);
    assert_int_equal(hap_parse_stat(STR("# pxname,svname,scur,qcur,status,weight,stot\n"
                                        "be_web,web1,x,0,UP,1,1\n"),
                                    "be_web", &b),
                     ERR_INVAL);
}

static void test_states(void **state)
{
    (void)state;
    assert_int_equal(hap_state_of(STR("UP")), HAP_UP);
    assert_int_equal(hap_state_of(STR("UP 2/3")), HAP_UP);
    assert_int_equal(hap_state_of(STR("no check")), HAP_UP);
    assert_int_equal(hap_state_of(STR("DOWN 1/2")), HAP_JOINING);
    assert_int_equal(hap_state_of(STR("MAINT")), HAP_LEAVING);
    assert_int_equal(hap_state_of(STR("MAINT (via be/x)")), HAP_LEAVING);
    assert_int_equal(hap_state_of(STR("DRAIN")), HAP_LEAVING);
    assert_int_equal(hap_state_of(STR("NOLB")), HAP_LEAVING);
    assert_int_equal(hap_state_of(STR("DOWN")), HAP_DOWN);
    assert_int_equal(hap_state_of(STR("")), HAP_DOWN);
}

static void test_cpu_parse(void **state)
{
    (void)state;
    int64_t busy, total;
    assert_true(cpu_parse(STR("cpu  100 5 50 800 45 0 0 0 0 0\ncpu0 1 2 3 4\n"), &busy, &total));
    assert_int_equal(total, 1000);
    assert_int_equal(busy, 155);
    assert_false(cpu_parse(STR("cpu0 1 2 3 4\n"), &busy, &total));
    assert_false(cpu_parse(STR("cpu  1 2\n"), &busy, &total));
    struct cpu_meter m = {0};
    assert_true(cpu_sample(&m, "/proc/stat") < 0); /* first sample: unknown */
    assert_true(cpu_sample(&m, "/nonexistent") < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_sample),
        cmocka_unit_test(test_columns_by_name),
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_cpu_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
